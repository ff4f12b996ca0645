import { describe, expect, it } from 'vitest';
import { MAX_PEERS_READ, readPeers } from './presence';

const PROJECT = 'prj_0123456789abcdef';
const state = (rate: number) => ({
  v: 1,
  project: PROJECT,
  volunteer: null,
  device: 'cpu',
  backend: null,
  rate,
  state: 'computing',
  blobs: [],
  head: null,
});

describe('reading peers from the awareness states', () => {
  it('reads a bounded number of them, however many states one peer makes up, and this tab always', () => {
    const states = new Map<number, unknown>();
    states.set(1, state(3));
    // One peer's awareness updates may name any number of made-up clients, each "computing" at the largest rate.
    for (let id = 100; id < 20_100; id++) states.set(id, state(1e7));
    states.set(42, state(5));
    const { peers, unread } = readPeers(states, PROJECT, 42);
    expect(peers).toHaveLength(MAX_PEERS_READ + 1);
    expect(peers[0]).toMatchObject({ id: 42, self: true });
    expect(peers[1]).toMatchObject({ id: 1 });
    expect(unread).toBe(20_000 + 1 - MAX_PEERS_READ);
  });
});
