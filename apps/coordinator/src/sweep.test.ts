// The coordinator's sweep runs one at a time, and an explicit sweep called while another is under way still
// sweeps once that one is done: it must see what changed since the running one read the rows (a test's sweep
// once returned at once, beside the timer's, and a job it expected paused stayed active).
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { Researcher } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

describeBackends('the sweep', (backend) => {
  const clock = new ManualClock();
  // No sweeps of its own: the test sweeps.
  const grid = useGrid(backend, {
    name: 'sweep',
    start: () => ({ clock, random: seededRandom(5), config: { sweepMs: 3_600_000 }, log: () => undefined }),
  });

  it('called while another is under way, waits for it and sweeps again with the clock as it is now', async () => {
    const researcher = new Researcher(grid.coordinator.url, (await grid.coordinator.createProject('sweep')).token);
    const job = await researcher.createSquareJob({ leaseSeconds: 60 });
    expect((await researcher.addSquares(job, 1, 3)).status).toBe(200);
    const volunteer = await SimVolunteer.create(grid.coordinator.url);
    expect((await volunteer.lease(3)).leases).toHaveLength(3);

    // The first sweep reads the clock before the leases run out; the second is called after they did.
    const first = grid.coordinator.sweep();
    clock.advance(61_000);
    const second = grid.coordinator.sweep();
    expect(await first).toBe(0);
    expect(await second).toBe(3);
    // Their units are issued again.
    const other = await SimVolunteer.create(grid.coordinator.url);
    expect((await other.lease(3)).leases).toHaveLength(3);
  });
});
