// Leases do not run out while the coordinator is down: a restart gives the leases that were live when it
// stopped the time it was away. On a manual clock with a clean stop, and in a child process killed with
// SIGKILL, each reopening the same database (SQLite or Postgres).
import { type Lease, fromBase64 } from '@bricolage/protocol';
import { afterEach, expect, it } from 'vitest';
import { ManualClock, seededRandom, systemClock } from './clock';
import { DEFAULT_CONFIG } from './config';
import { createProject, openStore } from './server';
import { describeBackends } from './testing/backends';
import { ChildCoordinator } from './testing/child-coordinator';
import { Researcher, square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer, okResult } from './testing/sim-volunteer';

const quiet = () => undefined;
const resultsFor = (leases: readonly Lease[]) => leases.map((l) => okResult(l, square(fromBase64(l.input ?? ''))));

describeBackends('leases across a restart', (backend) => {
  // Each test starts its own coordinators, in this process or a child one, on the grid's directory and database.
  const grid = useGrid(backend, { name: 'grace' });
  let child: ChildCoordinator | null = null;

  afterEach(async () => {
    await child?.kill();
    child = null;
  });

  it('gives the leases live at a clean stop the downtime, and none to a lease that ran out before it', async () => {
    const clock = new ManualClock();
    // No sweeps of its own: the test sweeps, so the clock alone says what happened when. After a restart, 30 s
    // more for volunteers to find the grid back.
    const config = { sweepMs: 3_600_000, reconnectGraceMs: 30_000 };
    let coordinator = await grid.start({ clock, random: seededRandom(3), config, log: quiet, project: 'grace' });
    const researcher = grid.researcher;
    const long = await researcher.createSquareJob({ name: 'long', leaseSeconds: 60 });
    expect((await researcher.addSquares(long, 1, 2)).status).toBe(200);
    const volunteer = await SimVolunteer.create(coordinator.url);
    const [early] = (await volunteer.lease(1)).leases as [Lease];
    clock.advance(30_000);
    await coordinator.sweep();
    const [late] = (await volunteer.lease(1)).leases as [Lease];
    // `early` runs out 60 s after it was leased; the coordinator stops at 70 s, and sweeps it first.
    clock.advance(40_000);
    expect(await coordinator.sweep()).toBe(1);
    const token2 = volunteer.bearer;
    await grid.stop();

    // Down for ten minutes, far past `late`'s deadline (90 s).
    clock.advance(600_000);
    coordinator = await grid.start({ clock, random: seededRandom(4), config, log: quiet });
    try {
      // 40 s after the restart: past the 20 s `late` had left, within them plus the 30 s grace.
      clock.advance(40_000);
      expect(await coordinator.sweep()).toBe(0);
      // The same volunteer, its token still valid (the token key persists), at the new address.
      const reply = await fetch(`${coordinator.url}/v1/volunteer/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token2}` },
        body: JSON.stringify({ leases: [early.lease, late.lease] }),
      });
      const beat = (await reply.json()) as { leases: { lease: string; deadline: number | null; state: string }[] };
      // `late` had 20 s left when the coordinator stopped, and got them back with the grace; `early` stays expired.
      expect(beat.leases).toEqual([
        { lease: early.lease, deadline: null, state: 'expired' },
        { lease: late.lease, deadline: clock.now() + 60_000, state: 'leased' },
      ]);
      const submit = await fetch(`${coordinator.url}/v1/volunteer/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token2}` },
        body: JSON.stringify({ results: resultsFor([late]) }),
      });
      expect(submit.status, await submit.clone().text()).toBe(200);
      expect(await submit.json()).toEqual({ accepted: 1, repeated: 0 });
    } finally {
      await grid.stop();
    }
    // The downtime is given once: the start that gives it records itself as alive at once.
    const store = await openStore(grid.dir, DEFAULT_CONFIG, Math.random, { databaseUrl: grid.db.databaseUrl });
    try {
      expect(await store.resumeLeases(clock.now() + 5000)).toEqual({ downtimeMs: 5000, extended: 0 });
      expect(await store.resumeLeases(clock.now() + 5000)).toEqual({ downtimeMs: 0, extended: 0 });
    } finally {
      await store.close();
    }
  });

  it('counts the downtime of a crash from the last sweep before it', async () => {
    const { dir, db } = grid;
    const { databaseUrl } = db;
    const env: Record<string, string> = databaseUrl ? { DATABASE_URL: databaseUrl } : {};
    const offline = await openStore(dir, DEFAULT_CONFIG, Math.random, { databaseUrl });
    const { token } = await createProject(offline, systemClock, 'crash grace');
    await offline.close();
    const aliveAt = async () => {
      const [row] = await db.query<{ value: Buffer }>("SELECT value FROM meta WHERE key = 'alive_at'");
      return row ? Number(row.value.toString()) : 0;
    };

    let started = await ChildCoordinator.start({ dataDir: dir, env });
    child = started.child;
    const researcher = new Researcher(started.url, token);
    const job = await researcher.createSquareJob({ leaseSeconds: 5 });
    expect((await researcher.addSquares(job, 1, 3)).status).toBe(200);
    const volunteer = await SimVolunteer.create(started.url);
    const { leases } = await volunteer.lease(3);
    const leasedAt = Date.now();
    // The sweeper's heartbeat after the leases were granted, then the power cut.
    await expect.poll(aliveAt, { timeout: 10_000, interval: 100 }).toBeGreaterThan(leasedAt);
    await child.kill('SIGKILL');
    const deadline = Math.max(...leases.map((l) => l.deadline));
    await expect.poll(() => Date.now(), { timeout: 20_000, interval: 250 }).toBeGreaterThan(deadline + 1000);

    started = await ChildCoordinator.start({ dataDir: dir, env, port: Number(new URL(started.url).port) });
    child = started.child;
    expect((await volunteer.submit(resultsFor(leases))).status).toBe(200);
    expect((await researcher.progress(job)).counts).toMatchObject({ validated: 0, in_progress: 3 });
  });
});
