// A lease given back, or run out, of a unit already settled (failed, or validated and under re-check) is taken back
// as if it had never been issued, as one given back of an open unit is: it must not count against the unit's
// maxTotalResults. Else a page
// that comes and goes uses up a re-check's replicas for good (a newcomer is offered none, and the job never
// completes), and the unit's `issued` counts replicas nobody holds or answered (testing/books.ts). Both stores.
import { API, type Lease } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { checkBooks } from './testing/books';
import { describeBackends } from './testing/backends';
import { square, wrongSquare } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { errorResult, SimVolunteer } from './testing/sim-volunteer';

const ADAPTIVE = { enabled: true, trustAfter: 5, spotCheckRate: 0.1 };

describeBackends('a lease of a settled unit, given back or run out', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'release-settled' });
  const start = () =>
    grid.start({ clock, random: seededRandom(17), config: { sweepMs: 3_600_000 }, log: () => undefined, project: 's' });
  const enrol = (from: string | null = null) => SimVolunteer.create(grid.coordinator.url, from);
  const release = (v: SimVolunteer, leases: readonly Lease[]) =>
    v.post(API.release, { leases: leases.map((l) => l.lease) });

  it('does not count as issued once the unit has failed: the books balance', async () => {
    await start();
    const id = await grid.researcher.createSquareJob({
      leaseSeconds: 60,
      redundancy: { minQuorum: 2, maxTotalResults: 4, maxErrorResults: 1, homogeneous: false },
    });
    expect((await grid.researcher.addSquares(id, 1, 1)).status).toBe(200);
    const [a, b, c] = [await enrol('2001:db8:1::5'), await enrol('2001:db8:2::5'), await enrol('2001:db8:3::5')];
    const [la] = (await a.lease(1)).leases as [Lease];
    const [lb] = (await b.lease(1)).leases as [Lease];
    await a.submit([errorResult(la)]);
    const [lc] = (await c.lease(1)).leases as [Lease];
    // The second error fails the unit while c holds a lease of it; c's page then leaves.
    await b.submit([errorResult(lb)]);
    expect((await grid.researcher.progress(id)).counts).toMatchObject({ failed: 1 });
    expect((await release(c, [lc])).status).toBe(200);
    expect(await checkBooks(grid.db.query, () => true)).toEqual([]);
  });

  /**
   * A job whose units one key validated alone, each wanting a re-check now: the key earned trust on an adaptive
   * job, then lost it, outvoted on a strict one. Returns those units, a key that was never leased any of them,
   * and `count` more fresh keys.
   */
  async function recheckWanted(count: number, leaseSeconds?: number) {
    await start();
    const [[trusted, partner, other, third, late], keys] = await Promise.all([
      Promise.all([enrol(), enrol(), enrol(), enrol(), enrol()]),
      Promise.all(Array.from({ length: count }, () => enrol())),
    ]);
    // A key earns trust, then validates units alone on an adaptive job.
    const earn = await grid.researcher.createSquareJob({ name: 'earn', adaptive: ADAPTIVE, knownAnswerRate: 1 });
    await grid.researcher.addSquares(earn, 1, 5, 3);
    for (const v of [trusted, partner]) await v.computeAndSubmit((await v.lease(8)).leases, square);
    const job = await grid.researcher.createSquareJob({
      ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
      adaptive: ADAPTIVE,
      redundancy: { minQuorum: 2, maxTotalResults: 3, maxErrorResults: 3, homogeneous: false },
    });
    await grid.researcher.addSquares(job, 10, 40);
    await trusted.computeAndSubmit((await trusted.lease(40)).leases, square);
    const alone = (await grid.researcher.results(job))
      .filter((r) => r.state === 'validated')
      .map((r) => String(r.workUnit));
    expect(alone.length).toBeGreaterThan(5);
    await partner.computeAndSubmit((await partner.lease(40)).leases.slice(1), square);
    // It then loses trust, outvoted on a strict job: the units it validated alone each want a re-check.
    const strict = await grid.researcher.createSquareJob({ name: 'strict', adaptive: { ...ADAPTIVE, enabled: false } });
    await grid.researcher.addSquares(strict, 1, 1);
    expect((await grid.researcher.request('POST', API.pause(job))).ok).toBe(true);
    await trusted.computeAndSubmit((await trusted.lease(1)).leases, wrongSquare);
    for (const v of [other, third]) await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect((await grid.researcher.request('POST', API.resume(job))).ok).toBe(true);
    return { alone, late, keys };
  }
  /** The re-checks among the units `v` is offered now. */
  const offered = async (v: SimVolunteer, alone: readonly string[]) =>
    (await v.lease(100)).leases.filter((l) => alone.includes(l.workUnit));

  it('leaves a re-check wanted, however many pages gave it back', async () => {
    const { alone, late, keys: pages } = await recheckWanted(3);
    // Pages of three keys are leased the re-checks, one after another, and leave: as many as maxTotalResults.
    for (const page of pages) {
      const audit = (await page.lease(alone.length)).leases.filter((l) => alone.includes(l.workUnit));
      expect(audit.length).toBeGreaterThan(0);
      expect((await release(page, audit)).status).toBe(200);
    }
    // Another key is still offered every re-check.
    expect(await offered(late, alone)).toHaveLength(alone.length);
  }, 60_000);

  it('leaves a re-check wanted, however many keys let their leases of it run out', async () => {
    const { alone, late, keys: hoarders } = await recheckWanted(4, 60);
    // Keys that hoard: each is leased the re-checks and never answers; the leases run out.
    for (const hoarder of hoarders) {
      const held = (await hoarder.lease(alone.length)).leases.filter((l) => alone.includes(l.workUnit));
      expect(held.length).toBeGreaterThan(0);
      clock.advance(61_000);
      expect(await grid.coordinator.sweep()).toBeGreaterThan(0);
    }
    expect(await offered(late, alone)).toHaveLength(alone.length);
    expect(await checkBooks(grid.db.query, () => true)).toEqual([]);
  }, 60_000);
});
