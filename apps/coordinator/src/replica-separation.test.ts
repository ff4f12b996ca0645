// Who is leased which replicas (issue 17), over real HTTP on both stores: volunteers claim their own client
// addresses through X-Forwarded-For (the coordinator trusts loopback as a proxy), so that the separation rule
// sees them as it would in production. Units are drawn at random (a seeded `random`), so two keys leasing back
// to back do not receive the same replicas, and two keys of one address, or of one burst of new keys from one
// network, never hold replicas of one unit; the operator's own addresses (loopback by default) may.
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import type { CoordinatorConfig } from './config';
import { describeBackends } from './testing/backends';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

const quiet = () => undefined;
const MINUTE = 60_000;

describeBackends('replica separation', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'separation' });

  /** A coordinator that believes loopback's X-Forwarded-For, with a job of `units` squares (quorum 2). */
  async function start(units: number, config: Partial<CoordinatorConfig> = {}, minQuorum = 2): Promise<string> {
    await grid.start({
      clock,
      random: seededRandom(17),
      // No sweeps of its own: nothing expires behind the test's back.
      config: { trustProxy: 'loopback', sweepMs: 3_600_000, ...config },
      log: quiet,
      project: 'separation',
    });
    const job = await grid.researcher.createSquareJob({
      leaseSeconds: 3600,
      redundancy: { minQuorum, maxTotalResults: 8, maxErrorResults: 3, homogeneous: false },
    });
    expect((await grid.researcher.addSquares(job, 1, units)).status).toBe(200);
    return job;
  }

  const enrol = (from: string | null) => SimVolunteer.create(grid.coordinator.url, from);
  const unitsOf = async (v: SimVolunteer, max: number) => (await v.lease(max)).leases.map((l) => l.workUnit);

  it('never gives two keys of one address replicas of one unit; a key of another network takes them', async () => {
    await start(10);
    const first = await unitsOf(await enrol('203.0.113.5'), 10);
    expect(first).toHaveLength(10);
    // Every unit wants a second replica, and only keys of another address may give it.
    expect(await unitsOf(await enrol('203.0.113.5'), 10)).toEqual([]);
    const elsewhere = await unitsOf(await enrol('198.51.100.7'), 10);
    expect(new Set(elsewhere)).toEqual(new Set(first));
  });

  it('finds the units a key may hold among many it may not, one at a time or a batch at a time', async () => {
    await start(30);
    const held = new Set(await unitsOf(await enrol('203.0.113.5'), 10));
    expect(held.size).toBe(10);
    // A third of the window is refused to this key: the draw checks units a batch at a time until it has enough.
    const sameAddress = await enrol('203.0.113.5');
    const one = await unitsOf(sameAddress, 1);
    expect(one).toHaveLength(1);
    const more = await unitsOf(sameAddress, 25);
    // A new key's room is 16 leases (rules/lease-limits.ts): 15 more, none of them the other key's.
    expect(more).toHaveLength(15);
    expect([...one, ...more].filter((u) => held.has(u))).toEqual([]);
    expect(new Set([...one, ...more]).size).toBe(16);
  });

  it('keeps a burst of new keys from one network apart, and lets keys of that network that came later pair', async () => {
    await start(10);
    const first = await enrol('203.0.113.5');
    expect(await unitsOf(first, 10)).toHaveLength(10);
    const sameBurst = await enrol('203.0.113.6');
    expect(await unitsOf(sameBurst, 10)).toEqual([]);
    clock.advance(11 * MINUTE);
    const later = await enrol('203.0.113.7');
    expect(await unitsOf(later, 10)).toHaveLength(10);
  });

  it('draws units at random: two keys leasing back to back do not receive the same replicas', async () => {
    await start(200);
    const a = await unitsOf(await enrol('198.51.100.1'), 10);
    const b = await unitsOf(await enrol('203.0.113.1'), 10);
    expect(a).toHaveLength(10);
    expect(b).toHaveLength(10);
    // In id order both received units 1-10 (the audit's cabal validated its own answers 20 of 20 that way).
    const shared = a.filter((u) => b.includes(u));
    expect(shared.length).toBeLessThan(5);
  });

  it('lets keys on loopback (a developer’s tabs, the farm, the tests) hold replicas of one unit', async () => {
    await start(10);
    const a = await enrol(null);
    const b = await enrol(null);
    expect(await unitsOf(a, 10)).toHaveLength(10);
    expect(await unitsOf(b, 10)).toHaveLength(10);
  });

  it('exempts what SEPARATION_EXEMPT names instead of loopback when it is set', async () => {
    // Quorum 4: room for the farm's two keys and one more on each unit.
    await start(10, { separationExempt: '10.9.0.0/16' }, 4);
    const farm = [await enrol('10.9.1.1'), await enrol('10.9.2.2')];
    for (const v of farm) expect(await unitsOf(v, 10)).toHaveLength(10);
    // Loopback is no longer the operator's: its second key finds every unit held by its first.
    const local = [await enrol(null), await enrol(null)];
    expect(await unitsOf(local[0] as SimVolunteer, 10)).toHaveLength(10);
    expect(await unitsOf(local[1] as SimVolunteer, 10)).toEqual([]);
  });
});
