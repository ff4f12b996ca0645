// A page that leaves gives back the leases it will not compute (API.release), over real HTTP on both stores, on a
// manual clock: they go to other keys at once rather than after their deadline, and nobody is charged an error;
// nor is anyone for the leases of a job cancelled while they held them, given back or run out.
import { API, type Lease, fromBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer, okResult } from './testing/sim-volunteer';

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

  it('refuses a malformed list with a 400 and changes nothing', async () => {
    await start(2);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const held = (await v.lease(2)).leases;
    for (const body of [{ leases: [] }, { leases: ['wu_1'] }, {}, { leases: Array(1001).fill(held[0]!.lease) }]) {
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
