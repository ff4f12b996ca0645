// What a job's progress says about its replicas, over real HTTP: the volunteers holding its leases, results
// by verdict (the agreement rate), replicas reissued, and failures by code with the latest one as an example.
import { API, type JobProgress, type Lease } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { okResult, SimVolunteer } from './testing/sim-volunteer';

const pair = { minQuorum: 2, maxTotalResults: 6, maxErrorResults: 3, homogeneous: false };

describeBackends('job activity in progress reports', (backend) => {
  let clock: ManualClock;
  const grid = useGrid(backend, {
    name: 'activity',
    start: () => {
      clock = new ManualClock();
      return { clock, random: seededRandom(3), project: 'activity' };
    },
  });

  const progress = async (job: string): Promise<JobProgress> =>
    ((await (await grid.researcher.request('GET', API.job(job))).json()) as { progress: JobProgress }).progress;

  /** The lease of `v`'s batch for the nth work unit of the job (1-based, in upload order). */
  const nth = (leases: readonly Lease[], first: number, n: number): Lease => {
    const lease = leases.find((l) => Number(l.workUnit.slice(3)) === first + n - 1);
    if (!lease) throw new Error(`no lease for unit ${n}`);
    return lease;
  };

  it('counts active volunteers, verdicts, reissues and errors by code with an example', async () => {
    const job = await grid.researcher.createSquareJob({ redundancy: pair });
    const added = (await (await grid.researcher.addSquares(job, 1, 3)).json()) as { firstWorkUnit: string };
    const first = Number(added.firstWorkUnit.slice(3));
    expect(await progress(job)).toMatchObject({
      activeVolunteers: 0,
      replicas: { issued: 0, reissued: 0, valid: 0, invalid: 0, errors: 0 },
      errors: [],
    });

    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => SimVolunteer.create(grid.coordinator.url)));
    if (!a || !b || !c || !d) throw new Error('four volunteers');
    const aLeases = (await a.lease(3)).leases;
    expect((await progress(job)).activeVolunteers).toBe(1);
    const bLeases = (await b.lease(3)).leases;
    expect(aLeases).toHaveLength(3);
    expect(bLeases).toHaveLength(3);
    expect((await progress(job)).activeVolunteers).toBe(2);

    // a is right on all three; b is right on unit 1, wrong on unit 2, and fails on unit 3.
    await a.computeAndSubmit(aLeases, square);
    expect((await progress(job)).activeVolunteers).toBe(1);
    const wrong = square(new Uint8Array(16)).map((x) => x + 1);
    const reply = await b.submit([
      okResult(nth(bLeases, first, 1), square(new Uint8Array(new Uint32Array([1, 2, 3, 4]).buffer))),
      okResult(nth(bLeases, first, 2), wrong),
      { kind: 'error', lease: nth(bLeases, first, 3).lease, code: 'runtime_error', message: 'boom at line 3' },
    ]);
    expect(reply.status).toBe(200);
    expect(await progress(job)).toMatchObject({
      activeVolunteers: 0,
      counts: { validated: 1, in_progress: 2 },
      replicas: { issued: 6, reissued: 0, valid: 2, invalid: 0, errors: 1 },
      errors: [
        { code: 'runtime_error', count: 1, example: { workUnit: `wu_${first + 2}`, message: 'boom at line 3' } },
      ],
    });

    // c takes the replacements for units 2 and 3 and never answers: both leases expire.
    expect((await c.lease(3)).leases).toHaveLength(2);
    expect((await progress(job)).activeVolunteers).toBe(1);
    clock.advance(601_000);
    await grid.coordinator.sweep();
    const expired = await progress(job);
    expect(expired.activeVolunteers).toBe(0);
    // c's first expiry is within its error allowance and counts against unit 2; its second is past it and costs
    // unit 3 nothing, the replica not counted as issued to the unit (rules/error-budget.ts).
    expect(expired.replicas).toEqual({
      issued: 8,
      reissued: 1,
      valid: 2,
      invalid: 0,
      errors: 3,
      givenBack: 0,
      withdrawn: 0,
    });
    expect(expired.errors).toEqual([
      {
        code: 'lease_expired',
        count: 2,
        example: { workUnit: `wu_${first + 2}`, message: 'no result arrived before the lease ran out' },
      },
      { code: 'runtime_error', count: 1, example: { workUnit: `wu_${first + 2}`, message: 'boom at line 3' } },
    ]);

    // d agrees with a on both: unit 2's quorum marks b's result invalid.
    const dLeases = (await d.lease(3)).leases;
    expect(dLeases).toHaveLength(2);
    await d.computeAndSubmit(dLeases, square);
    const done = await progress(job);
    expect(done).toMatchObject({ state: 'completed', counts: { validated: 3 }, activeVolunteers: 0 });
    expect(done.replicas).toEqual({
      issued: 10,
      reissued: 3,
      valid: 6,
      invalid: 1,
      errors: 3,
      givenBack: 0,
      withdrawn: 0,
    });
  });

  it('counts leases given back and leases withdrawn apart from errors, so that what was issued adds up', async () => {
    const job = await grid.researcher.createSquareJob({ redundancy: pair });
    await grid.researcher.addSquares(job, 1, 3);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const leases = (await v.lease(3)).leases;
    expect(leases).toHaveLength(3);
    // The page leaves: it gives one back uncomputed; the unit is back in the queue, no one's error.
    expect((await v.post(API.release, { leases: [leases[0]?.lease] })).status).toBe(200);
    expect((await progress(job)).replicas).toEqual({
      issued: 3,
      reissued: 0,
      valid: 0,
      invalid: 0,
      errors: 0,
      givenBack: 1,
      withdrawn: 0,
    });
    // The job is cancelled: the key's next heartbeat ends its other two leases as withdrawn.
    expect((await grid.researcher.request('POST', API.cancel(job))).status).toBe(200);
    const beat = await v.post(API.heartbeat, { leases: leases.slice(1).map((l) => l.lease) });
    expect(beat.status).toBe(200);
    expect((await progress(job)).replicas).toMatchObject({ issued: 3, errors: 0, givenBack: 1, withdrawn: 2 });
  });

  it('sends the same figures on the event stream', async () => {
    const job = await grid.researcher.createSquareJob({ redundancy: pair });
    await grid.researcher.addSquares(job, 1, 2);
    const v = await SimVolunteer.create(grid.coordinator.url);
    await v.lease(2);
    const controller = new AbortController();
    const res = await fetch(grid.coordinator.url + API.events(job), {
      headers: { authorization: `Bearer ${grid.researcher.token}` },
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const data = /^data: (.*)$/m.exec(text)?.[1];
    expect(JSON.parse(data ?? 'null')).toMatchObject({
      activeVolunteers: 1,
      replicas: { issued: 2, reissued: 0, valid: 0, invalid: 0, errors: 0 },
      errors: [],
    });
  });
});
