// The coordinator's sweep runs one at a time, and an explicit sweep called while another is under way still
// sweeps once that one is done: it must see what changed since the running one read the rows (a test's sweep
// once returned at once, beside the timer's, and a job it expected paused stayed active).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { type Coordinator, startCoordinator } from './server';
import { describeBackends, type TestDatabase } from './testing/backends';
import { Researcher } from './testing/fixtures';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('the sweep', (backend) => {
  let dir = '';
  let db: TestDatabase | null = null;
  let coordinator: Coordinator;
  const clock = new ManualClock();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-sweep-'));
    db = await backend.open(dir);
    // No sweeps of its own: the test sweeps.
    coordinator = await startCoordinator({
      dataDir: dir,
      databaseUrl: db.databaseUrl,
      port: 0,
      clock,
      random: seededRandom(5),
      config: { sweepMs: 3_600_000 },
      log: () => undefined,
    });
  });

  afterEach(async () => {
    await coordinator.close();
    await db?.close();
    db = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('called while another is under way, waits for it and sweeps again with the clock as it is now', async () => {
    const researcher = new Researcher(coordinator.url, (await coordinator.createProject('sweep')).token);
    const job = await researcher.createSquareJob({ leaseSeconds: 60 });
    expect((await researcher.addSquares(job, 1, 3)).status).toBe(200);
    const volunteer = await SimVolunteer.create(coordinator.url);
    expect((await volunteer.lease(3)).leases).toHaveLength(3);

    // The first sweep reads the clock before the leases run out; the second is called after they did.
    const first = coordinator.sweep();
    clock.advance(61_000);
    const second = coordinator.sweep();
    expect(await first).toBe(0);
    expect(await second).toBe(3);
    // Their units are issued again.
    const other = await SimVolunteer.create(coordinator.url);
    expect((await other.lease(3)).leases).toHaveLength(3);
  });
});
