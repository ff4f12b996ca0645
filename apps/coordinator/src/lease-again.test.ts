// A key whose page gave its lease of a unit back holds nothing of it and gave no answer: it may be leased the unit
// again, as a new lease. Before, any replica tied the key to the unit for good, so a grid of few keys whose pages
// came and went (a lab's farm, two machines) could be left with units none of them might take and a job that never
// completed (found by grid-life.test.ts). A lease that ran out still ties its key (a hoarder must not be drawn the
// same units again and again), and a key that answered the unit, even with an error, is never leased it twice.
import { API, type Lease, fromBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { errorResult, okResult, SimVolunteer } from './testing/sim-volunteer';

describeBackends('leasing a unit again', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'lease-again' });

  async function start(units: number, minQuorum: number): Promise<string> {
    await grid.start({
      clock,
      random: seededRandom(11),
      config: { sweepMs: 3_600_000 },
      log: () => undefined,
      project: 'again',
    });
    const id = await grid.researcher.createSquareJob({
      leaseSeconds: 60,
      redundancy: { minQuorum, maxTotalResults: minQuorum + 2, maxErrorResults: 3, homogeneous: false },
    });
    expect((await grid.researcher.addSquares(id, 1, units)).status).toBe(200);
    return id;
  }
  const enrol = () => SimVolunteer.create(grid.coordinator.url);
  const right = (l: Lease) => okResult(l, square(fromBase64(l.input ?? '')));
  const expire = async () => {
    clock.advance(61_000);
    return grid.coordinator.sweep();
  };

  it('leases a unit again, as a new lease, to the key that gave it back; the old lease takes no result', async () => {
    const job = await start(1, 1);
    const alone = await enrol();
    const [first] = (await alone.lease(1)).leases as [Lease];
    expect((await alone.post(API.release, { leases: [first.lease] })).body).toEqual({ released: 1 });

    const [again] = (await alone.lease(1)).leases as [Lease];
    expect(again).toMatchObject({ workUnit: first.workUnit });
    expect(again.lease).not.toBe(first.lease);
    expect((await alone.submit([right(first)])).status).toBe(410);
    expect((await alone.submit([right(again)])).body).toMatchObject({ accepted: 1 });
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 1 });
    expect((await alone.receipts()).receipts).toHaveLength(1);
  });

  it('lets a small grid finish a unit that every one of its keys gave back', async () => {
    const job = await start(1, 2);
    const [a, b] = [await enrol(), await enrol()];
    for (const v of [a, b]) {
      const [held] = (await v.lease(1)).leases as [Lease];
      expect((await v.post(API.release, { leases: [held.lease] })).body).toEqual({ released: 1 });
    }
    const [la] = (await a.lease(1)).leases as [Lease];
    const [lb] = (await b.lease(1)).leases as [Lease];
    expect(la.workUnit).toBe(lb.workUnit);
    expect((await a.submit([right(la)])).body).toMatchObject({ accepted: 1 });
    expect((await b.submit([right(lb)])).body).toMatchObject({ accepted: 1 });
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 1, in_progress: 0 });
    // Each key holds one receipt: a unit's credit goes to a key once, however many leases it took.
    expect((await a.receipts()).receipts).toHaveLength(1);
    expect((await b.receipts()).receipts).toHaveLength(1);
  });

  it('never leases a unit again to a key whose lease of it ran out; another key takes it', async () => {
    const job = await start(1, 1);
    const [hoarder, other] = [await enrol(), await enrol()];
    expect((await hoarder.lease(1)).leases).toHaveLength(1);
    expect(await expire()).toBe(1);
    expect((await hoarder.lease(1)).leases).toEqual([]);
    const [taken] = (await other.lease(1)).leases as [Lease];
    expect((await other.submit([right(taken)])).body).toMatchObject({ accepted: 1 });
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 1 });
  });

  it('never leases a unit again to a key that answered it, with a result or an error', async () => {
    await start(2, 2);
    const [answers, errs] = [await enrol(), await enrol()];
    const held = (await answers.lease(2)).leases;
    expect(held).toHaveLength(2);
    expect((await answers.submit(held.map(right))).body).toMatchObject({ accepted: 2 });
    expect((await answers.lease(2)).leases).toEqual([]);

    const other = (await errs.lease(2)).leases;
    expect(other).toHaveLength(2);
    expect((await errs.submit(other.map((l) => errorResult(l)))).body).toMatchObject({ accepted: 2 });
    expect((await errs.lease(2)).leases).toEqual([]);
  });

  it('keeps one open lease per key and unit: a key holding a lease is not leased the unit again', async () => {
    await start(1, 2);
    const a = await enrol();
    expect((await a.lease(1)).leases).toHaveLength(1);
    expect((await a.lease(1)).leases).toEqual([]);
    const tied = await grid.db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM replicas WHERE state <> 'released' GROUP BY wu, volunteer",
    );
    expect(tied.map((r) => Number(r.n))).toEqual([1]);
  });
});
