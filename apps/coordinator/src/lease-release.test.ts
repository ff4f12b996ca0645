// A page that leaves gives back the leases it will not compute (API.release), over real HTTP on both stores, on a
// manual clock: they go to other keys at once rather than after their deadline, and nobody is charged an error;
// nor is anyone for the leases of a job cancelled while they held them, given back or run out. A page that goes while
// a lease request is out names it, and what was granted under it goes back too, whichever arrives first.
import { API, type Lease, type LeaseResponse, fromBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { LEASE_REQUEST_KEPT_MS } from './steps/lease-requests';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { GPU_CAPABILITIES, SimVolunteer, okResult } from './testing/sim-volunteer';

describeBackends('a page giving back its leases', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'lease-release' });

  async function start(units: number, knownAnswer = 0): Promise<string> {
    await grid.start({
      clock,
      random: seededRandom(3),
      config: { sweepMs: 3_600_000 },
      log: () => undefined,
      project: 'release',
    });
    const id = await grid.researcher.createSquareJob({
      leaseSeconds: 600,
      knownAnswerRate: knownAnswer > 0 ? 1 : 0,
      redundancy: { minQuorum: 1, maxTotalResults: 3, maxErrorResults: 1, homogeneous: false },
    });
    expect((await grid.researcher.addSquares(id, 1, units, knownAnswer)).status).toBe(200);
    return id;
  }
  const release = (v: SimVolunteer, leases: readonly (Lease | string)[]) =>
    v.post<{ released: number }>(API.release, { leases: leases.map((l) => (typeof l === 'string' ? l : l.lease)) });
  /** A lease request named as a page names it (LeaseRequest.request). */
  const leaseNamed = async (v: SimVolunteer, max: number, request: string) => {
    const reply = await v.post<LeaseResponse>(API.lease, { capabilities: GPU_CAPABILITIES, max, request });
    expect(reply.status).toBe(200);
    return reply.body;
  };
  const giveUp = (v: SimVolunteer, requests: readonly string[], leases: readonly string[] = []) =>
    v.post<{ released: number }>(API.release, { leases, requests });
  const submitAll = (v: SimVolunteer, leases: readonly Lease[]) =>
    v.submit(leases.map((l) => okResult(l, square(fromBase64(l.input ?? '')))));

  it('puts given-back units in the queue at once, for other keys, charging no error to anyone', async () => {
    const job = await start(4);
    const [leaving, next] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    const held = (await leaving.lease(4)).leases;
    expect(held).toHaveLength(4);
    expect((await next.lease(4)).leases).toEqual([]);

    expect((await release(leaving, held)).body).toEqual({ released: 4 });
    const taken = (await next.lease(4)).leases;
    expect(taken.map((l) => l.workUnit).sort()).toEqual(held.map((l) => l.workUnit).sort());
    expect((await submitAll(next, taken)).status).toBe(200);
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 4, failed: 0 });
    // The key's room is free again, its record shows no error, and a unit given back still had its one error to spare.
    expect(await leaving.stats()).toMatchObject({ leased: 4, returned: 4, errors: 0 });
    // What it gave back it cannot hand in after all.
    const late = await submitAll(leaving, held.slice(0, 1));
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ error: { code: 'lease_expired' } });
  });

  it('gives back only the key’s own open leases, and says how many', async () => {
    await start(6);
    const [mine, stranger] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    const leases = (await mine.lease(3)).leases;
    const theirs = (await stranger.lease(3)).leases;
    expect((await submitAll(mine, leases.slice(0, 1))).status).toBe(200);
    const answer = await release(mine, [...leases, ...theirs, 'ls_999999']);
    expect(answer.body).toEqual({ released: 2 });
    expect((await release(mine, leases)).body).toEqual({ released: 0 });
    expect((await submitAll(stranger, theirs)).status).toBe(200);
  });

  it('gives back what a lease request the page will not read was granted, charging no error', async () => {
    const job = await start(6);
    const [leaving, next] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    const read = (await leaseNamed(leaving, 2, 'page-1-request-000001')).leases;
    // The answer of the request out as the page went: granted, never read.
    const unread = (await leaseNamed(leaving, 4, 'page-1-request-000002')).leases;
    expect([read.length, unread.length]).toEqual([2, 4]);
    expect((await giveUp(leaving, ['page-1-request-000002'], [read[0]!.lease])).body).toEqual({ released: 5 });
    // Named again (a second page-hide), it gives back nothing twice.
    expect((await giveUp(leaving, ['page-1-request-000002'])).body).toEqual({ released: 0 });
    const taken = (await next.lease(6)).leases;
    expect(taken.map((l) => l.workUnit).sort()).toEqual([read[0]!, ...unread].map((l) => l.workUnit).sort());
    expect((await submitAll(next, taken)).status).toBe(200);
    expect((await submitAll(leaving, read.slice(1))).status).toBe(200);
    expect((await grid.researcher.progress(job)).counts).toMatchObject({ validated: 6, failed: 0 });
    expect(await leaving.stats()).toMatchObject({ leased: 6, returned: 6, errors: 0 });
  });

  it('grants nothing under a lease request whose release came first, and the units stay for others', async () => {
    await start(3);
    const [leaving, next] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    expect((await giveUp(leaving, ['page-2-request-000001'])).body).toEqual({ released: 0 });
    expect((await leaseNamed(leaving, 3, 'page-2-request-000001')).leases).toEqual([]);
    // Another request of the same key's (its next page) is served as ever.
    expect((await leaseNamed(leaving, 1, 'page-3-request-000001')).leases).toHaveLength(1);
    expect((await next.lease(3)).leases).toHaveLength(2);
    expect(await leaving.stats()).toMatchObject({ leased: 1, errors: 0 });
  });

  it('leaves the leases a named request took back on a resume held, for the key’s next page', async () => {
    await start(4);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const held = (await v.lease(2)).leases;
    // The next page's first request takes them back and is granted two more; the page goes before reading it
    // (it may be sending the results of those it took back as it goes).
    const reply = await v.post<LeaseResponse>(API.lease, {
      capabilities: GPU_CAPABILITIES,
      max: 2,
      resumeAfter: null,
      request: 'resuming-request-0001',
    });
    expect(reply.body.resumed).toBe(2);
    const fresh = reply.body.leases.slice(2);
    expect(fresh).toHaveLength(2);
    expect((await giveUp(v, ['resuming-request-0001'])).body).toEqual({ released: 2 });
    // Those taken back are still the key's: their results are accepted.
    expect((await submitAll(v, held)).status).toBe(200);
    expect((await submitAll(v, fresh)).status).toBe(410);
  });

  it('gives back nothing of another key’s lease request of the same name', async () => {
    await start(4);
    const [mine, stranger] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    const leases = (await leaseNamed(mine, 2, 'shared-name-000000001')).leases;
    expect((await giveUp(stranger, ['shared-name-000000001'])).body).toEqual({ released: 0 });
    // Nor does it stop the key's next use of the name getting units.
    expect((await leaseNamed(mine, 2, 'shared-name-000000001')).leases).toHaveLength(2);
    expect((await submitAll(mine, leases)).status).toBe(200);
  });

  it('forgets lease requests once the sweep finds them older than they are kept', async () => {
    await start(2);
    const v = await SimVolunteer.create(grid.coordinator.url);
    await leaseNamed(v, 1, 'kept-for-a-while-0001');
    await giveUp(v, ['kept-for-a-while-0002']);
    const kept = async () => Number((await grid.db.query('SELECT COUNT(*) AS n FROM lease_requests'))[0]?.n);
    expect(await kept()).toBe(2);
    clock.advance(LEASE_REQUEST_KEPT_MS - 1);
    await grid.coordinator.sweep();
    expect(await kept()).toBe(2);
    clock.advance(2);
    await grid.coordinator.sweep();
    expect(await kept()).toBe(0);
  });

  it('refuses a malformed list with a 400 and changes nothing', async () => {
    await start(2);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const held = (await v.lease(2)).leases;
    for (const body of [
      { leases: [] },
      { leases: ['wu_1'] },
      {},
      { leases: Array(1001).fill(held[0]!.lease) },
      { leases: [], requests: [] },
      { leases: [], requests: ['short'] },
      { leases: [], requests: ['not a request name!!'] },
      { leases: [], requests: Array.from({ length: 5 }, (_, i) => `request-name-0000000${i}`) },
    ]) {
      const reply = await v.post<{ error: { code: string } }>(API.release, body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('bad_request');
    }
    expect((await submitAll(v, held)).status).toBe(200);
  });

  it('counts a known-answer unit given back as an expiry, so that dodging one costs as much', async () => {
    await start(0, 2);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const probes = (await v.lease(2)).leases;
    expect(probes.length).toBeGreaterThan(0);
    expect((await release(v, probes)).body).toEqual({ released: probes.length });
    expect(await v.stats()).toMatchObject({ returned: probes.length, errors: probes.length });
  });

  it('charges no one for the leases of a cancelled job, given back or run out, known answers included', async () => {
    const job = await start(4, 2);
    const [giver, sleeper] = [
      await SimVolunteer.create(grid.coordinator.url),
      await SimVolunteer.create(grid.coordinator.url),
    ];
    // Each holds both known answers and two of the job's other units.
    const given = (await giver.lease(4)).leases;
    const slept = (await sleeper.lease(4)).leases;
    expect([given.length, slept.length]).toEqual([4, 4]);
    const standing = () =>
      grid.db.query('SELECT key, errors, error_allowance, error_allowance_at FROM volunteers WHERE key IN (?, ?)', [
        giver.key,
        sleeper.key,
      ]);
    const before = await standing();
    expect((await grid.researcher.request('POST', API.cancel(job))).status).toBe(200);
    // One gives its leases back; the other's run out (its results would be refused: the job is cancelled).
    expect((await release(giver, given)).body).toEqual({ released: 4 });
    clock.advance(3_600_000);
    expect(await grid.coordinator.sweep()).toBe(4);
    expect(await standing()).toEqual(before);
    for (const v of [giver, sleeper]) {
      await v.authenticate(); // its token ran out with the hour
      expect(await v.stats()).toMatchObject({ leased: 4, returned: 4, errors: 0 });
    }
  });
});
