import { generateSigningKeyPair, sign } from '@bricolage/protocol';
import type { PeerPresence } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import { PresencePublisher, RESIGN_MS, type UnsignedPresence } from './presence-publisher';
import { PresenceProofs } from './presence-proofs';

const PROJECT = 'prj_0123456789abcdef';

const body = (rate: number): UnsignedPresence => ({
  v: 1,
  project: PROJECT as UnsignedPresence['project'],
  device: 'cpu',
  backend: 'wasm',
  rate,
  state: 'computing',
  blobs: [],
  head: null,
});

async function tab(now: { t: number }, identity = true) {
  const pair = await generateSigningKeyPair();
  const sent: PeerPresence[] = [];
  const own = new PresencePublisher({
    project: PROJECT,
    client: 7,
    ...(identity ? { identity: { key: pair.publicKeyText, sign: (m: Uint8Array) => sign(pair.privateKey, m) } } : {}),
    send: (state) => sent.push(state),
    now: () => now.t,
  });
  return { own, sent, key: pair.publicKeyText };
}

describe("this tab's presence", () => {
  it('goes out with its key, the time and a proof that a peer believes', async () => {
    const now = { t: 1_000_000 };
    const { own, sent, key } = await tab(now);
    own.publish(body(3));
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ volunteer: key, at: now.t, rate: 3 });
    const proofs = new PresenceProofs({ project: PROJECT, changed: () => undefined, now: () => now.t });
    proofs.proven(7, sent[0]!);
    await vi.waitFor(() => expect(proofs.proven(7, sent[0]!)).toBe(true));
  });

  it('is sent again when it changes, or unchanged when its proof grows old, and not otherwise', async () => {
    const now = { t: 1_000_000 };
    const { own, sent } = await tab(now);
    own.publish(body(3));
    own.publish(body(3)); // while the first is being signed
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    now.t += RESIGN_MS - 1;
    own.publish(body(3));
    own.publish(body(4));
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toMatchObject({ rate: 4, at: now.t });
    now.t += RESIGN_MS;
    own.publish(body(4));
    await vi.waitFor(() => expect(sent).toHaveLength(3));
    expect(sent[2]!.at).toBe(now.t);
  });

  it('never sends a state a newer one overtook while it was being signed', async () => {
    const now = { t: 1_000_000 };
    const { own, sent } = await tab(now);
    own.publish(body(1));
    own.publish(body(2));
    await vi.waitFor(() => expect(sent.map((s) => s.rate)).toContain(2));
    expect(sent.map((s) => s.rate)).toEqual([2]);
  });

  it('names no key without one, nor when the key will not sign', async () => {
    const now = { t: 1_000_000 };
    const { own, sent } = await tab(now, false);
    own.publish(body(1));
    expect(sent[0]).toMatchObject({ volunteer: null, proof: null });

    const failing = vi.fn(() => Promise.reject(new Error('the key was replaced')));
    const broken: PeerPresence[] = [];
    const other = new PresencePublisher({
      project: PROJECT,
      client: 8,
      identity: { key: 'k', sign: failing },
      send: (state) => broken.push(state),
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    other.publish(body(1));
    await vi.waitFor(() => expect(broken).toHaveLength(1));
    other.publish(body(2));
    expect(broken[1]).toMatchObject({ volunteer: null, proof: null, rate: 2 });
    expect(failing).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
