// Signed credit bounded by what the coordinator measures: a researcher who prices a trivial job at the top of
// its time budget, and returns its units at once with a second key, earns ten credits a unit, not the price.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, netCredit, verifyReceipt } from '@bricolage/protocol';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { type Coordinator, startCoordinator } from './server';
import { describeBackends, type TestDatabase } from './testing/backends';
import { Researcher, square, squareJob } from './testing/fixtures';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('credit per result', (backend) => {
  let db: TestDatabase | null = null;
  let dir: string;
  let coordinator: Coordinator;
  let researcher: Researcher;
  const clock = new ManualClock();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-credit-'));
    db = await backend.open(dir);
    coordinator = await startCoordinator({
      dataDir: dir,
      databaseUrl: db?.databaseUrl,
      port: 0,
      clock,
      random: seededRandom(3),
    });
    researcher = new Researcher(coordinator.url, (await coordinator.createProject('credit')).token);
  });

  afterEach(async () => {
    await coordinator.close();
    await db?.close();
    db = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a price above the job’s time budget’s worth', async () => {
    const res = await researcher.request('POST', API.jobs, JSON.stringify(squareJob({ costPerWorkUnit: 601 })));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /costPerWorkUnit 601 exceeds 600.*time budget of 60 s/,
    );
    await expect(researcher.createSquareJob({ costPerWorkUnit: 600 })).resolves.toMatch(/^job_/);
  });

  it('pays an inflated price only as fast as the leases were held, in signed receipts', async () => {
    // Units are drawn at random: one to a job, so that both volunteers compute the same one.
    const fast = await researcher.createSquareJob({ name: 'fast', costPerWorkUnit: 600 });
    await researcher.addSquares(fast, 1, 1);
    const [alice, mallory] = [await SimVolunteer.create(coordinator.url), await SimVolunteer.create(coordinator.url)];
    // Returned at once: a second's worth each, ten credits.
    const a1 = await alice.lease(1);
    const m1 = await mallory.lease(1);
    await alice.computeAndSubmit(a1.leases, square);
    await mallory.computeAndSubmit(m1.leases, square);
    // Held for 30 s: 300 each.
    const slow = await researcher.createSquareJob({ name: 'slow', costPerWorkUnit: 600 });
    await researcher.addSquares(slow, 2, 1);
    const a2 = await alice.lease(1);
    const m2 = await mallory.lease(1);
    clock.advance(30_000);
    await alice.computeAndSubmit(a2.leases, square);
    await mallory.computeAndSubmit(m2.leases, square);

    for (const job of [fast, slow]) expect((await researcher.progress(job)).counts.validated).toBe(1);
    for (const v of [alice, mallory]) {
      const { receipts } = await v.receipts();
      expect(receipts.map((r) => netCredit(r.receipt.body))).toEqual([10, 300]);
      for (const r of receipts) expect((await verifyReceipt(r, coordinator.publicKey)).ok).toBe(true);
      expect((await v.stats()).credit).toBe(310);
    }
    expect((await researcher.progress(fast)).credit + (await researcher.progress(slow)).credit).toBe(620);
  });

  it('pays an honest price in full however fast the result comes back', async () => {
    const job = await researcher.createSquareJob({ costPerWorkUnit: 2.5 });
    await researcher.addSquares(job, 1, 1);
    for (const v of [await SimVolunteer.create(coordinator.url), await SimVolunteer.create(coordinator.url)])
      await v.computeAndSubmit((await v.lease(1)).leases, square);
    expect((await researcher.progress(job)).credit).toBe(5);
  });
});
