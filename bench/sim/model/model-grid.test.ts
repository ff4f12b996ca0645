// The model grid's give-back and the retake rule (policies.ts `retake`), driven through the Grid interface on
// grids of two to four keys: what a key may be leased again, and what a lease given back costs.
import { describe, expect, it } from 'vitest';
import { square, squareInput } from '../../../apps/coordinator/src/testing/fixtures';
import type { Member } from '../grid';
import { POLICIES, type Policy, withoutRetake, withRetakeOnce } from '../policies';
import { ModelGrid } from './model-grid';

const quorum2 = POLICIES.find((p) => p.name === 'quorum-2') as Policy;
/** Past a lease's first deadline (10 minutes, no heartbeat). */
const RUN_OUT_MS = 11 * 60_000;
/** The lease period a unit waits, offered to every other key, before a key that lost it may retake it. */
const PERIOD_MS = 10 * 60_000;

/** A grid with a job of `units` units and keys from addresses on networks of their own. */
async function grid(policy: Policy, units: number, keys: number) {
  const g = new ModelGrid(policy, 3);
  await g.startJob(Array.from({ length: units }, (_, i) => ({ tag: String(i), input: squareInput(4 * i) })));
  const members: Member[] = [];
  for (let i = 0; i < keys; i++) members.push((await g.join(`11.0.${i}.7`)) as Member);
  return { g, members };
}

const ok = (lease: { lease: string; input: Uint8Array }) => ({
  kind: 'ok' as const,
  lease: lease.lease,
  output: square(lease.input),
});

describe('the model grid, two keys and quorum 2', () => {
  for (const policy of [withoutRetake(quorum2), quorum2])
    it(`${policy.retake ? 'finishes' : 'stalls'} when one key's lease ran out (retake ${policy.retake ? 'on' : 'off'})`, async () => {
      const { g, members } = await grid(policy, 1, 2);
      const [a, b] = members as [Member, Member];
      expect(await g.lease(a, 4)).toHaveLength(1);
      await g.advance(RUN_OUT_MS);
      const [other] = await g.lease(b, 4);
      expect(await g.submit(b, [ok(other!)])).toBe(1);
      expect(await g.lease(a, 4)).toEqual([]);
      await g.advance(PERIOD_MS);
      const again = await g.lease(a, 4);
      if (!policy.retake) {
        // The unit wants one more result, and neither key may ever hold it again.
        expect(again).toEqual([]);
        expect(await g.finished()).toBe(false);
        return;
      }
      expect(again.map((l) => l.unit)).toEqual(['u0']);
      expect(await g.submit(a, [ok(again[0]!)])).toBe(1);
      expect(await g.finished()).toBe(true);
    });

  it('retakes a unit four times at most, the k-th 2^(k-1) lease periods after the key lost it before', async () => {
    const { g, members } = await grid(quorum2, 1, 2);
    const [a] = members as [Member, Member];
    const [first] = await g.lease(a, 4);
    expect(await g.release(a, [first!.lease])).toBe(1);
    // The lease periods each retake waits (rules/assignment.ts DEFAULT_RETAKE), written out: the rule, pinned.
    for (const periods of [1, 2, 4, 8]) {
      // Given back a moment ago: not before its wait is over.
      await g.advance(periods * PERIOD_MS - 60_000);
      expect(await g.lease(a, 4)).toEqual([]);
      await g.advance(60_000);
      const [again] = await g.lease(a, 4);
      expect(again?.unit).toBe('u0');
      expect(await g.release(a, [again!.lease])).toBe(1);
    }
    await g.advance(100 * PERIOD_MS);
    expect(await g.lease(a, 4)).toEqual([]);
  });

  it('retakes a unit once under the rule of 2026-12-04 (NAME-retake-once)', async () => {
    const { g, members } = await grid(withRetakeOnce(quorum2), 1, 2);
    const [a] = members as [Member, Member];
    const [first] = await g.lease(a, 4);
    expect(await g.release(a, [first!.lease])).toBe(1);
    await g.advance(PERIOD_MS);
    const [second] = await g.lease(a, 4);
    expect(second?.unit).toBe('u0');
    await g.advance(RUN_OUT_MS + 100 * PERIOD_MS);
    expect(await g.lease(a, 4)).toEqual([]);
  });

  it('never retakes a unit the key returned an error for', async () => {
    const { g, members } = await grid(quorum2, 1, 2);
    const [a] = members as [Member, Member];
    const [first] = await g.lease(a, 4);
    expect(await g.submit(a, [{ kind: 'error', lease: first!.lease }])).toBe(1);
    expect(await g.lease(a, 4)).toEqual([]);
  });

  it('retakes only when the ordinary draw has nothing of the job for the key', async () => {
    const { g, members } = await grid(quorum2, 2, 2);
    const [a] = members as [Member, Member];
    const [first] = await g.lease(a, 1);
    await g.release(a, [first!.lease]);
    // The other unit, never held, comes first; only then the one given back.
    const [next] = await g.lease(a, 1);
    expect(next?.unit).not.toBe(first?.unit);
    await g.advance(PERIOD_MS - 1);
    expect(await g.lease(a, 1)).toEqual([]);
    await g.advance(1);
    const [last] = await g.lease(a, 1);
    expect(last?.unit).toBe(first?.unit);
  });
});

describe('the model grid, a lease given back', () => {
  it('costs the unit nothing, where as many leases run out fail it', async () => {
    // Four keys each lose the unit's lease: run out, each is an error of the unit (within a new key's allowance),
    // one past maxErrorResults (3); given back, none is.
    for (const how of ['release', 'run out'] as const) {
      const { g, members } = await grid(quorum2, 1, 4);
      for (const m of members) {
        const [l] = await g.lease(m, 1);
        expect(l?.unit).toBe('u0');
        if (how === 'release') expect(await g.release(m, [l!.lease])).toBe(1);
        else await g.advance(RUN_OUT_MS);
      }
      const [unit] = [...(await g.results()).values()];
      if (how === 'release') expect(unit).toBeUndefined();
      else expect(unit?.state).toBe('failed');
    }
  });

  it('is not given back twice, nor by another key', async () => {
    const { g, members } = await grid(quorum2, 1, 2);
    const [a, b] = members as [Member, Member];
    const [l] = await g.lease(a, 1);
    expect(await g.release(b, [l!.lease])).toBe(0);
    expect(await g.release(a, [l!.lease])).toBe(1);
    expect(await g.release(a, [l!.lease])).toBe(0);
  });
});
