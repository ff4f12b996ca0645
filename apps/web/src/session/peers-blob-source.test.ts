import type { Volunteer } from '@bricolage/runtime';
import { describe, expect, it, vi } from 'vitest';
import { peersFor } from './testing';
import { ViewModel } from './view';

// Rooms that fail each fetch after `ROOM_MS` and record the time each was told was spent already.
const ROOM_MS = 40;
const rooms = vi.hoisted(() => ({ joined: [] as string[], spent: [] as number[] }));
vi.mock('@bricolage/peer', () => ({
  joinSwarm: (options: { room: { project: string } }) => {
    rooms.joined.push(options.room.project);
    return {
      view: () => ({ project: options.room.project }),
      subscribe: () => () => undefined,
      setPresence: () => undefined,
      observeHead: async () => undefined,
      coordinatorBack: () => undefined,
      leave: () => undefined,
      ready: async () => undefined,
      keep: () => undefined,
      fetchBlob: async (_hash: string, spentMs = 0) => {
        rooms.spent.push(spentMs);
        await new Promise((resolve) => setTimeout(resolve, ROOM_MS));
        return null;
      },
    };
  },
}));

describe('the page asset source', () => {
  it('gives a room asked after another only what is left of the blob deadline', async () => {
    const model = new ViewModel();
    model.set({ coordinatorKey: 'k'.repeat(64), projects: [{ id: 'p1' }, { id: 'p2' }] as never });
    const volunteer = {
      peerRoom: async (project: string) => ({ ok: true, value: { project } }),
      on: () => () => undefined,
    } as unknown as Volunteer;
    const peers = peersFor(model, volunteer);
    peers.start();
    await vi.waitFor(() => expect(rooms.joined).toEqual(['p1', 'p2']), { timeout: 5_000, interval: 5 });

    const bytes = new Uint8Array([1, 2, 3]);
    const got = await peers.blobSource({ blob: async () => ({ ok: true, value: bytes }) }).blob('h'.repeat(64));
    expect(got).toEqual({ ok: true, value: bytes });
    // The first room from nothing spent; the second told of the first room's time.
    expect(rooms.spent).toHaveLength(2);
    expect(rooms.spent[0]).toBeLessThan(ROOM_MS);
    expect(rooms.spent[1]).toBeGreaterThanOrEqual(ROOM_MS - 1);
    peers.leave();
  });
});
