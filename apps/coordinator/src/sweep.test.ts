// The coordinator's sweep runs one at a time, and an explicit sweep called while another is under way still
// sweeps once that one is done: it must see what changed since the running one read the rows (a test's sweep
// once returned at once, beside the timer's, and a job it expected paused stayed active).
// It charges a key's leases that ran out in the order they ran out, on either store: when its error budget covers
// only some of them, those are the ones its units count. It also drops what a dead upload left staged, once stale.
import { API } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { DEFAULT_CONFIG } from './config';
import { describeBackends } from './testing/backends';
import { Researcher, squareLines } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { streamRaw } from './testing/raw-http';
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

  it('charges the leases that ran out first to their units when a key can pay for only some of them', async () => {
    const researcher = new Researcher(grid.coordinator.url, (await grid.coordinator.createProject('expiry')).token);
    // The lower unit is leased for longer: the order the leases run out is not the order of their units.
    const long = await researcher.createSquareJob({ leaseSeconds: 600 });
    expect((await researcher.addSquares(long, 1, 1)).status).toBe(200);
    const short = await researcher.createSquareJob({ leaseSeconds: 60 });
    expect((await researcher.addSquares(short, 2, 1)).status).toBe(200);
    const volunteer = await SimVolunteer.create(grid.coordinator.url);
    expect((await researcher.request('POST', API.pause(short))).status).toBe(200);
    const [first] = (await volunteer.lease(1)).leases;
    expect((await researcher.request('POST', API.resume(short))).status).toBe(200);
    const [second] = (await volunteer.lease(1)).leases;
    expect([first?.job, second?.job]).toEqual([long, short]);

    // Both run out before one sweep. A new key's error budget covers one expiry (rules/error-budget.ts): the
    // short lease's, which ran out first; the other unit is simply issued again, charged nothing.
    clock.advance(601_000);
    expect(await grid.coordinator.sweep()).toBe(2);
    const errors = await grid.db.query<{ job: string; errors: number }>('SELECT job, errors FROM work_units');
    expect(new Map(errors.map((u) => [u.job, Number(u.errors)]))).toEqual(
      new Map([
        [long, 0],
        [short, 1],
      ]),
    );
  });

  it('drops the rows an upload staged once it is older than any request may last, and not before', async () => {
    // A coordinator killed mid-upload leaves them (crash-safety.test.ts): where coordinators share a Postgres,
    // none may drop them when it starts, as another may still be uploading.
    const { token } = await grid.coordinator.createProject('stale upload');
    const researcher = new Researcher(grid.coordinator.url, token);
    const job = await researcher.createSquareJob();
    const count = async (sql: string) => Number((await grid.db.query<{ n: number }>(sql))[0]?.n);
    const staged = () => count("SELECT COUNT(*) AS n FROM work_units WHERE state = 'staged'");
    const upload = streamRaw(grid.coordinator.url, {
      method: 'POST',
      path: API.workUnits(job),
      token,
      type: 'application/x-ndjson',
    });
    await upload.write(squareLines(0, 2000));
    await expect.poll(staged, { timeout: 30_000 }).toBe(2000);

    // Stale: older than the request time limit and a minute (server.ts).
    const stale = DEFAULT_CONFIG.requestTimeoutMs + 60_000;
    clock.advance(stale - 1000);
    await grid.coordinator.sweep();
    expect(await staged()).toBe(2000);
    clock.advance(2000);
    await grid.coordinator.sweep();
    expect(await staged()).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM upload_batches')).toBe(0);

    // Had the upload been alive after all, it is told that nothing was added, and to send it again.
    const reply = await upload.end();
    expect(reply.status, reply.text).toBe(409);
    expect(await count("SELECT COUNT(*) AS n FROM work_units WHERE state <> 'staged'")).toBe(0);
  });
});
