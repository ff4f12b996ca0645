// The model grid's give-back, driven through the Grid interface on a grid of a few keys: what a lease given back
// costs.
import { describe, expect, it } from 'vitest';
import { squareInput } from '../../../apps/coordinator/src/testing/fixtures';
import type { Member } from '../grid';
import { POLICIES, type Policy } from '../policies';
import { ModelGrid } from './model-grid';

const quorum2 = POLICIES.find((p) => p.name === 'quorum-2') as Policy;
/** Past a lease's first deadline (10 minutes, no heartbeat). */
const RUN_OUT_MS = 11 * 60_000;

/** A grid with a job of `units` units and keys from addresses on networks of their own. */
async function grid(policy: Policy, units: number, keys: number) {
  const g = new ModelGrid(policy, 3);
  await g.startJob(Array.from({ length: units }, (_, i) => ({ tag: String(i), input: squareInput(4 * i) })));
  const members: Member[] = [];
  for (let i = 0; i < keys; i++) members.push((await g.join(`11.0.${i}.7`)) as Member);
  return { g, members };
}

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
