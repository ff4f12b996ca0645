import { generateSigningKeyPair, sign, signTreeHead } from '@bricolage/protocol';
import { PeerPresence } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import { PresencePublisher, RESIGN_MS, RETRY_SIGN_MS, type UnsignedPresence } from './presence-publisher';
import { PresenceProofs } from './presence-proofs';

// vitest's 1 s would let a stall on a loaded 2-core machine decide the test (vitest.config.ts raises expect.poll's).
const SOON = { timeout: 10_000, interval: 5 };

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
  it('goes out with its key, the time and a proof that a peer believes, through JSON and the schema as a peer hears it', async () => {
    const now = { t: 1_000_000 };
    const { own, sent, key } = await tab(now);
    const coordinator = await generateSigningKeyPair();
    const head = await signTreeHead(coordinator.privateKey, {
      log: coordinator.publicKeyText,
      size: 12,
      root: 'ab'.repeat(32),
      at: 999_000,
    });
    own.publish({ ...body(3.7), blobs: ['cd'.repeat(32), 'ef'.repeat(32)] as UnsignedPresence['blobs'], head });
    await vi.waitFor(() => expect(sent).toHaveLength(1), SOON);
    expect(sent[0]).toMatchObject({ volunteer: key, at: now.t, rate: 3.7 });
    // Awareness carries states as JSON; the peer parses what it hears.
    const heard = PeerPresence.parse(JSON.parse(JSON.stringify(sent[0])));
    const proofs = new PresenceProofs({ project: PROJECT, changed: () => undefined, now: () => now.t });
    proofs.read(7, heard);
    await vi.waitFor(() => expect(proofs.read(7, heard).proven).toBe(true), SOON);
    // Under another id it proves nothing.
    proofs.read(8, heard);
    await vi.waitFor(() => expect(proofs.read(8, heard).proven).toBe(false), SOON);
  });

  it('is sent again when it changes, or unchanged when its proof grows old, and not otherwise', async () => {
    const now = { t: 1_000_000 };
    const { own, sent } = await tab(now);
    own.publish(body(3));
    own.publish(body(3)); // while the first is being signed
    await vi.waitFor(() => expect(sent).toHaveLength(1), SOON);
    now.t += RESIGN_MS - 1;
    own.publish(body(3));
    own.publish(body(4));
    await vi.waitFor(() => expect(sent).toHaveLength(2), SOON);
    expect(sent[1]).toMatchObject({ rate: 4, at: now.t });
    now.t += RESIGN_MS;
    own.publish(body(4));
    await vi.waitFor(() => expect(sent).toHaveLength(3), SOON);
    expect(sent[2]!.at).toBe(now.t);
  });

  it('never sends a state overtaken by one back to what was sent before it', async () => {
    const now = { t: 1_000_000 };
    const { own, sent } = await tab(now);
    own.publish(body(1));
    await vi.waitFor(() => expect(sent).toHaveLength(1), SOON);
    own.publish(body(2));
    own.publish(body(1)); // back to what the room has, while 2 is being signed
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent.map((s) => s.rate)).toEqual([1]);
  });

  it('tries its key again a while after it failed to sign, and a key that throws at once is a failure too', async () => {
    const now = { t: 1_000_000 };
    const pair = await generateSigningKeyPair();
    let broken = true;
    const signer = vi.fn((m: Uint8Array) => {
      if (broken) throw new Error('the store is closing');
      return sign(pair.privateKey, m);
    });
    const sent: PeerPresence[] = [];
    const own = new PresencePublisher({
      project: PROJECT,
      client: 7,
      identity: { key: pair.publicKeyText, sign: signer },
      send: (state) => sent.push(state),
      now: () => now.t,
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    own.publish(body(1));
    expect(sent[0]).toMatchObject({ volunteer: null, proof: null });
    broken = false;
    now.t += 1000;
    own.publish(body(2));
    expect(sent[1]).toMatchObject({ volunteer: null, rate: 2 });
    expect(signer).toHaveBeenCalledTimes(1);
    now.t += RETRY_SIGN_MS;
    own.publish(body(3));
    await vi.waitFor(() => expect(sent).toHaveLength(3), SOON);
    expect(sent[2]).toMatchObject({ volunteer: pair.publicKeyText, rate: 3 });
    warn.mockRestore();
  });

  it('never sends a state a newer one overtook while it was being signed', async () => {
    const now = { t: 1_000_000 };
    const { own, sent } = await tab(now);
    own.publish(body(1));
    own.publish(body(2));
    await vi.waitFor(() => expect(sent.map((s) => s.rate)).toContain(2), SOON);
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
    await vi.waitFor(() => expect(broken).toHaveLength(1), SOON);
    other.publish(body(2));
    expect(broken[1]).toMatchObject({ volunteer: null, proof: null, rate: 2 });
    expect(failing).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
