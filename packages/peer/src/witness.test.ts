import type { SignedTreeHead } from '@bricolage/protocol';
import { createTestLog, type TestLog } from '@bricolage/receipts/testing';
import { describe, expect, it } from 'vitest';
import { forkedHead } from './testing/forked-head';
import { seededRandom } from './testing/sim-network';
import { LogWitness } from './witness';

const witnessOf = (log: TestLog, reachable: () => boolean = () => true) =>
  new LogWitness({
    publicKey: log.key.publicKeyText,
    consistency: async (from, to) => {
      if (!reachable()) throw new TypeError('Failed to fetch');
      return log.consistency(from, to);
    },
  });

interface SimPeer {
  readonly id: number;
  readonly witness: LogWitness;
  /** What the coordinator shows this peer when it reads the tree head. */
  readonly view: (size: number) => Promise<SignedTreeHead>;
}

/**
 * A seeded simulation: the log grows, peers read the coordinator's tree head at random moments and announce the
 * newest they read; every other peer checks what it hears. Returns the peers.
 */
async function simulate(
  seed: number,
  log: TestLog,
  views: readonly ((size: number) => Promise<SignedTreeHead>)[],
  rounds = 30,
): Promise<SimPeer[]> {
  const random = seededRandom(seed);
  const peers: SimPeer[] = views.map((view, i) => ({ id: i + 1, witness: witnessOf(log), view }));
  for (let round = 0; round < rounds; round++) {
    if (random() < 0.5) await log.append('A'.repeat(42) + 'A');
    for (const peer of peers)
      if (random() < 0.6) await peer.witness.observe(await peer.view(log.receipts.length), 'self');
    // Gossip in a seeded order: each peer hears the newest head each other peer announces.
    const order = [...peers].sort(() => random() - 0.5);
    for (const speaker of order) {
      const head = speaker.witness.newestOwn();
      if (!head) continue;
      for (const listener of peers) if (listener !== speaker) await listener.witness.observe(head, speaker.id);
    }
  }
  return peers;
}

describe('volunteers witnessing the log', () => {
  it('never raises the alarm under an honest coordinator, though every pair of heads was checked', async () => {
    for (const seed of [1, 2, 3]) {
      const log = await createTestLog();
      const honest = (size: number) => log.head(size);
      const peers = await simulate(seed, log, [honest, honest, honest, honest]);
      for (const peer of peers) {
        expect(peer.witness.alarms()).toEqual([]);
        const stats = peer.witness.stats();
        expect(stats.consistencyChecks).toBeGreaterThan(0);
        expect(stats.agreements).toBeGreaterThan(0);
        expect(stats.invalid).toBe(0);
      }
    }
  });

  it('catches a coordinator that signs two different trees of the same size for two volunteers', async () => {
    const log = await createTestLog();
    for (let i = 0; i < 5; i++) await log.append('A'.repeat(43));
    const honest = (size: number) => log.head(size);
    const split = (size: number) => forkedHead(log, size);
    // The log does not grow: A and B read heads of the same size, C reads A's view too.
    const a = witnessOf(log);
    const b = witnessOf(log);
    const c = witnessOf(log);
    await a.observe(await honest(5), 'self');
    await b.observe(await split(5), 'self');
    await c.observe(await honest(5), 'self');
    for (const [listener, speakers] of [
      [a, [b, c]],
      [b, [a, c]],
      [c, [a, b]],
    ] as const)
      for (const [i, speaker] of speakers.entries()) await listener.observe(speaker.newestOwn(), i + 10);
    for (const w of [a, b, c]) {
      expect(w.alarms()).toHaveLength(1);
      expect(w.alarms()[0]).toMatchObject({ kind: 'split-view' });
    }
    const alarm = a.alarms()[0] as { a: SignedTreeHead; b: SignedTreeHead };
    expect(alarm.a.head.size).toBe(alarm.b.head.size);
    expect(alarm.a.head.root).not.toBe(alarm.b.head.root);
  });

  it('catches a split view in a growing log too, and an honest subset of peers stays quiet', async () => {
    const log = await createTestLog();
    const honest = (size: number) => log.head(size);
    const split = (size: number) => forkedHead(log, size);
    const peers = await simulate(7, log, [honest, honest, split]);
    const [p1, p2, p3] = peers as [SimPeer, SimPeer, SimPeer];
    for (const p of [p1, p2, p3]) expect(p.witness.alarms().length).toBeGreaterThan(0);
    // Two honest peers alone never alarm.
    const log2 = await createTestLog();
    const alone = await simulate(8, log2, [(s) => log2.head(s), (s) => log2.head(s)]);
    for (const p of alone) expect(p.witness.alarms()).toEqual([]);
  });

  it('flags a larger head the coordinator cannot prove extends a smaller one', async () => {
    const log = await createTestLog();
    for (let i = 0; i < 3; i++) await log.append('A'.repeat(43));
    const a = witnessOf(log);
    await a.observe(await log.head(3), 'self');
    for (let i = 0; i < 4; i++) await log.append('A'.repeat(43));
    // A peer announces a head of 7 from another tree; the coordinator's proof from 3 to 7 cannot reach its root.
    await a.observe(await forkedHead(log, 7), 42);
    expect(a.alarms()).toMatchObject([
      { kind: 'inconsistent', older: { head: { size: 3 } }, newer: { head: { size: 7 } } },
    ]);
    // The honest head of 7 is fine.
    const b = witnessOf(log);
    await b.observe(await log.head(3), 'self');
    await b.observe(await log.head(7), 42);
    expect(b.alarms()).toEqual([]);
    expect(b.stats().consistencyChecks).toBe(1);
  });

  it('takes the empty head as the start of every log, unless its root is not the empty tree', async () => {
    const log = await createTestLog();
    const a = witnessOf(log);
    await a.observe(await log.head(0), 'self');
    for (let i = 0; i < 3; i++) await log.append('A'.repeat(43));
    await a.observe(await log.head(3), 42);
    expect(a.alarms()).toEqual([]);
    expect(a.stats().consistencyChecks).toBe(1);
    // An empty head signed over some other root is no empty log at all.
    const b = witnessOf(log);
    await b.observe(await log.head(3), 'self');
    await b.observe(await forkedHead(log, 0), 42);
    expect(b.alarms()).toMatchObject([
      { kind: 'inconsistent', older: { head: { size: 0 } }, newer: { head: { size: 3 } } },
    ]);
  });

  it('ignores heads that are malformed, of another log, or badly signed, and counts them', async () => {
    const log = await createTestLog();
    const other = await createTestLog();
    await log.append('A'.repeat(43));
    const a = witnessOf(log);
    const good = await log.head(1);
    await a.observe(good, 'self');
    await a.observe({ nonsense: true }, 1);
    await a.observe(await other.head(1), 1);
    await a.observe({ ...good, head: { ...good.head, root: 'ff'.repeat(32) } }, 1);
    expect(a.alarms()).toEqual([]);
    expect(a.stats()).toMatchObject({ invalid: 3, heads: 1 });
  });

  it('checks again, once the coordinator is back, what it could not check while unreachable', async () => {
    const log = await createTestLog();
    let up = false;
    const a = witnessOf(log, () => up);
    await log.append('A'.repeat(43));
    await a.observe(await log.head(1), 'self');
    await log.append('A'.repeat(43));
    await a.observe(await forkedHead(log, 2), 5);
    expect(a.stats().pending).toBe(1);
    expect(a.alarms()).toEqual([]);
    up = true;
    await a.recheck();
    expect(a.stats().pending).toBe(0);
    expect(a.alarms()).toMatchObject([{ kind: 'inconsistent' }]);
  });
});
