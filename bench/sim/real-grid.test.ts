// The real coordinator as the simulation's grid: the give-back and heartbeat calls a give-back hoarder makes.
import { describe, expect, it } from 'vitest';
import { squareInput } from '../../apps/coordinator/src/testing/fixtures';
import type { Member } from './grid';
import { POLICIES, type Policy } from './policies';
import { CoordinatorGrid } from './real-grid';

describe('the coordinator grid', () => {
  it('tells the time left on open leases and gives them back once, to their key only', async () => {
    const grid = await CoordinatorGrid.start(POLICIES.find((p) => p.name === 'quorum-2') as Policy, 7);
    try {
      await grid.startJob([0, 1].map((i) => ({ tag: String(i), input: squareInput(4 * i) })));
      const a = (await grid.join('11.0.0.7')) as Member;
      const b = (await grid.join('11.0.1.7')) as Member;
      const leases = (await grid.lease(a, 2)).map((l) => l.lease);
      expect(leases).toHaveLength(2);
      await grid.advance(60_000);
      const left = await grid.heartbeat(a, leases);
      expect([...left.keys()].sort()).toEqual([...leases].sort());
      for (const ms of left.values()) expect(ms).toBeGreaterThan(60_000);
      expect(await grid.release(b, leases)).toBe(0);
      expect(await grid.release(a, [leases[0] as string])).toBe(1);
      expect(await grid.release(a, leases)).toBe(1);
      expect((await grid.heartbeat(a, leases)).size).toBe(0);
      // Given back, the units are another key's to take.
      expect(await grid.lease(b, 2)).toHaveLength(2);
    } finally {
      await grid.close();
    }
  });
});
