// Leases of units the grid withdrew while keys held them (here a cancelled job's; a known answer found suspect in
// known-answers.test.ts), over real HTTP on both stores, on a manual clock: the key's next heartbeat ends them and
// tells its page to drop them (those it names, or of a cancelled job it names), its room free at once, and one that
// runs out is no volunteer's error in its job's tallies. Volunteers claim their addresses through X-Forwarded-For, so that the lease room holds them.
import { API, type Lease, fromBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer, okResult } from './testing/sim-volunteer';

describeBackends('leases of units the grid withdrew', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'withdrawn-leases' });

  const start = () =>
    grid.start({
      clock,
      random: seededRandom(5),
      config: { trustProxy: 'loopback', sweepMs: 3_600_000, leaseRoom: { newKey: 4, perValid: 1, perAddress: 100 } },
      log: () => undefined,
      project: 'withdrawn',
    });
  /** A job of `units` squares that one result settles, its leases a minute long. */
  async function job(name: string, units: number): Promise<string> {
    const id = await grid.researcher.createSquareJob({
      name,
      leaseSeconds: 60,
      redundancy: { minQuorum: 1, maxTotalResults: 3, maxErrorResults: 1, homogeneous: false },
    });
    expect((await grid.researcher.addSquares(id, 1, units)).status).toBe(200);
    return id;
  }
  const enrol = (n: number) => SimVolunteer.create(grid.coordinator.url, `203.0.113.${n}`);
  const heartbeat = async (v: SimVolunteer, leases: readonly Lease[]) =>
    (
      await v.post<{ leases: { lease: string; deadline: number | null; state: string }[] }>(API.heartbeat, {
        leases: leases.map((l) => l.lease),
      })
    ).body.leases;
  const cancel = async (id: string) => expect((await grid.researcher.request('POST', API.cancel(id))).status).toBe(200);

  it('ends at the key’s heartbeat its leases of a job cancelled meanwhile: the page is told, the room is free', async () => {
    await start();
    const v = await enrol(5);
    const doomed = await job('doomed', 3);
    const held = (await v.lease(4)).leases;
    expect(held.map((l) => l.job)).toEqual([doomed, doomed, doomed]);
    const kept = await job('kept', 4);
    const [live] = (await v.lease(4)).leases as [Lease];
    expect(live.job).toBe(kept);
    // Its room (4) is full; then the first job is cancelled.
    expect(await v.lease(4)).toMatchObject({ leases: [], full: true });
    await cancel(doomed);

    clock.advance(40_000);
    const answer = await heartbeat(v, [...held, live]);
    // Not renewed, and why: with no deadline, the page drops them (packages/runtime lease-queue.ts renew).
    expect(answer).toEqual([
      ...held.map((l) => ({ lease: l.lease, deadline: null, state: 'withdrawn' })),
      { lease: live.lease, deadline: clock.now() + 60_000, state: 'leased' },
    ]);
    // Ended there and then, as no one's error: the key has its room back for the job that is still on.
    expect(await v.stats()).toMatchObject({ leased: 4, returned: 3, errors: 0 });
    const more = (await v.lease(4)).leases;
    expect(more.map((l) => l.job)).toEqual([kept, kept, kept]);
    // Asked again, it says the same; a result handed in after all is refused as the cancelled job's.
    expect(await heartbeat(v, held.slice(0, 1))).toEqual([
      { lease: held[0]?.lease, deadline: null, state: 'withdrawn' },
    ]);
    const late = await v.submit(held.slice(0, 1).map((l) => okResult(l, square(fromBase64(l.input ?? '')))));
    expect(late.body).toMatchObject({ error: { code: 'job_not_active' } });
    // What runs out later is the other job's four, none of the cancelled one's.
    clock.advance(3_600_000);
    expect(await grid.coordinator.sweep()).toBe(4);
    const states = await grid.db.query<{ state: string }>('SELECT state FROM replicas WHERE job = ?', [doomed]);
    expect(states.map((r) => r.state)).toEqual(['withdrawn', 'withdrawn', 'withdrawn']);
  });

  it('ends the key’s leases of a cancelled job at a heartbeat that names the job, none of them named, nothing renewed', async () => {
    await start();
    const v = await enrol(5);
    const doomed = await job('doomed', 3);
    const held = (await v.lease(4)).leases;
    const kept = await job('kept', 4);
    const [live] = (await v.lease(1)).leases as [Lease];
    await cancel(doomed);

    // The page asks about the jobs it holds units of, renewing nothing (no lease is past half its life).
    clock.advance(5_000);
    const ask = async (body: object) =>
      (await v.post<{ leases: unknown[]; withdrawn?: string[] }>(API.heartbeat, body)).body;
    expect(await ask({ leases: [], jobs: [doomed, kept] })).toEqual({
      leases: [],
      withdrawn: held.map((l) => l.lease),
    });
    // Ended as no one's error, the room free; the other job's lease is neither ended nor renewed.
    expect(await v.stats()).toMatchObject({ leased: 4, returned: 3, errors: 0 });
    const states = await grid.db.query<{ state: string; deadline: number }>(
      'SELECT state, deadline FROM replicas WHERE volunteer = ? ORDER BY id',
      [v.key],
    );
    expect(states.map((r) => r.state)).toEqual(['withdrawn', 'withdrawn', 'withdrawn', 'leased']);
    expect(Number(states[3]?.deadline)).toBe(live.deadline);
    // Asked again, nothing is left of them to end; a heartbeat that names no jobs is answered as it always was.
    expect(await ask({ leases: [live.lease], jobs: [doomed] })).toEqual({
      leases: [{ lease: live.lease, deadline: clock.now() + 60_000, state: 'leased' }],
      withdrawn: [],
    });
    expect(await ask({ leases: [held[0]?.lease] })).toEqual({
      leases: [{ lease: held[0]?.lease, deadline: null, state: 'withdrawn' }],
    });
  });

  it('does not list a cancelled job’s lease that ran out as a volunteer’s error, as it does an active job’s', async () => {
    await start();
    const [a, b] = [await enrol(5), await enrol(6)];
    const doomed = await job('doomed', 1);
    expect((await a.lease(1)).leases).toHaveLength(1);
    const active = await job('active', 1);
    expect((await b.lease(1)).leases).toHaveLength(1);
    await cancel(doomed);
    // Neither page heartbeats again: both leases run out.
    clock.advance(61_000);
    expect(await grid.coordinator.sweep()).toBe(2);
    // The active job's expiry is its key's error, listed; the cancelled job's was no one's, and is not.
    const progress = await grid.researcher.progress(active);
    expect(progress.errors).toMatchObject([{ code: 'lease_expired', count: 1 }]);
    expect(progress.replicas.errors).toBe(1);
    const cancelled = await grid.researcher.progress(doomed);
    expect(cancelled.errors).toEqual([]);
    expect(cancelled.replicas.errors).toBe(0);
    expect(await a.stats()).toMatchObject({ leased: 1, returned: 1, errors: 0 });
  });
});
