// Signed credit bounded by what the coordinator measures: a researcher who prices a trivial job at the top of
// its time budget, and returns its units at once with a second key, earns ten credits a unit, not the price.
import { API, netCredit, verifyReceipt } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square, squareJob } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('credit per result', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, {
    name: 'credit',
    start: () => ({ clock, random: seededRandom(3), project: 'credit' }),
  });

  it('refuses a price above the job’s time budget’s worth', async () => {
    const res = await grid.researcher.request('POST', API.jobs, JSON.stringify(squareJob({ costPerWorkUnit: 601 })));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /costPerWorkUnit 601 exceeds 600.*time budget of 60 s/,
    );
    await expect(grid.researcher.createSquareJob({ costPerWorkUnit: 600 })).resolves.toMatch(/^job_/);
  });

  it('pays an inflated price only as fast as the leases were held, in signed receipts', async () => {
    // Units are drawn at random: one to a job, so that both volunteers compute the same one.
    const fast = await grid.researcher.createSquareJob({ name: 'fast', costPerWorkUnit: 600 });
    await grid.researcher.addSquares(fast, 1, 1);
    const [alice, mallory] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    // Returned at once: a second's worth each, ten credits.
    const a1 = await alice.lease(1);
    const m1 = await mallory.lease(1);
    await alice.computeAndSubmit(a1.leases, square);
    await mallory.computeAndSubmit(m1.leases, square);
    // Held for 30 s: 300 each.
    const slow = await grid.researcher.createSquareJob({ name: 'slow', costPerWorkUnit: 600 });
    await grid.researcher.addSquares(slow, 2, 1);
    const a2 = await alice.lease(1);
    const m2 = await mallory.lease(1);
    clock.advance(30_000);
    await alice.computeAndSubmit(a2.leases, square);
    await mallory.computeAndSubmit(m2.leases, square);

    for (const job of [fast, slow]) expect((await grid.researcher.progress(job)).counts.validated).toBe(1);
    for (const v of [alice, mallory]) {
      const { receipts } = await v.receipts();
      expect(receipts.map((r) => netCredit(r.receipt.body))).toEqual([10, 300]);
      for (const r of receipts) expect((await verifyReceipt(r, grid.coordinator.publicKey)).ok).toBe(true);
      expect((await v.stats()).credit).toBe(310);
    }
    expect((await grid.researcher.progress(fast)).credit + (await grid.researcher.progress(slow)).credit).toBe(620);
  });

  it('pays an honest price in full however fast the result comes back', async () => {
    const job = await grid.researcher.createSquareJob({ costPerWorkUnit: 2.5 });
    await grid.researcher.addSquares(job, 1, 1);
    for (const v of [await SimVolunteer.create(grid.coordinator.url), await SimVolunteer.create(grid.coordinator.url)])
      await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect((await grid.researcher.progress(job)).credit).toBe(5);
  });
});
