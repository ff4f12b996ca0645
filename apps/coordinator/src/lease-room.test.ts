// How many leases a key may hold and for how long (issue 17), over real HTTP on both stores, on a manual
// clock: heartbeats never keep a lease past its total lifetime, a new key's room grows with its validated
// results, and all keys of one client address share a ceiling. Volunteers claim their addresses through
// X-Forwarded-For (the coordinator trusts loopback as a proxy); loopback itself is the operator's and exempt.
import { API, type Lease, fromBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import type { CoordinatorConfig } from './config';
import { maxLifetimeMs } from './rules/lease-limits';
import { describeBackends } from './testing/backends';
import { square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { GPU_CAPABILITIES, SimVolunteer, okResult } from './testing/sim-volunteer';

const quiet = () => undefined;

describeBackends('lease room and lifetime', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'lease-room' });

  /** A coordinator believing loopback's X-Forwarded-For, with a job of `units` squares on `job`'s settings. */
  async function start(
    units: number,
    job: { leaseSeconds: number; timeBudgetMs?: number; minQuorum: number },
    config: Partial<CoordinatorConfig> = {},
  ): Promise<string> {
    await grid.start({
      clock,
      random: seededRandom(17),
      config: { trustProxy: 'loopback', sweepMs: 3_600_000, ...config },
      log: quiet,
      project: 'room',
    });
    const id = await grid.researcher.createSquareJob({
      leaseSeconds: job.leaseSeconds,
      ...(job.timeBudgetMs ? { timeBudgetMs: job.timeBudgetMs } : {}),
      redundancy: { minQuorum: job.minQuorum, maxTotalResults: 6, maxErrorResults: 3, homogeneous: false },
    });
    expect((await grid.researcher.addSquares(id, 1, units)).status).toBe(200);
    return id;
  }

  const enrol = (from: string | null) => SimVolunteer.create(grid.coordinator.url, from);
  const heartbeat = async (v: SimVolunteer, lease: Lease) =>
    (await v.post<{ leases: { deadline: number | null; state: string }[] }>(API.heartbeat, { leases: [lease.lease] }))
      .body.leases[0];
  const computeAll = async (v: SimVolunteer, leases: readonly Lease[]) =>
    expect((await v.submit(leases.map((l) => okResult(l, square(fromBase64(l.input ?? '')))))).status).toBe(200);

  it('never lets heartbeats keep a lease alive past its total lifetime', async () => {
    await start(1, { leaseSeconds: 60, timeBudgetMs: 1000, minQuorum: 1 });
    const v = await enrol('203.0.113.5');
    const leasedAt = clock.now();
    const [lease] = (await v.lease(1)).leases as [Lease];
    const end = leasedAt + maxLifetimeMs({ leasedAt, leaseSeconds: 60, timeBudgetMs: 1000 });
    // A heartbeat every 50 s: the first renews by a lease period, the next ones only up to the lifetime.
    clock.advance(50_000);
    expect(await heartbeat(v, lease)).toMatchObject({ state: 'leased', deadline: clock.now() + 60_000 });
    clock.advance(50_000);
    expect(await heartbeat(v, lease)).toMatchObject({ state: 'leased', deadline: end });
    clock.advance(20_000);
    expect(await heartbeat(v, lease)).toMatchObject({ state: 'leased', deadline: end });
    clock.advance(end - clock.now() + 1);
    expect(await heartbeat(v, lease)).toMatchObject({ state: 'expired', deadline: null });
    // Its unit is another volunteer's to compute once the sweep took it back.
    await grid.coordinator.sweep();
    expect((await (await enrol('198.51.100.9')).lease(1)).leases).toHaveLength(1);
  });

  it('gives a new key a small room that grows with its validated results', async () => {
    await start(40, { leaseSeconds: 600, minQuorum: 1 }, { leaseRoom: { newKey: 4, perValid: 2, perAddress: 100 } });
    const v = await enrol('203.0.113.5');
    const first = (await v.lease(20)).leases;
    expect(first).toHaveLength(4);
    expect((await v.lease(20)).leases).toEqual([]);
    await computeAll(v, first);
    // Four validated results (quorum 1): 4 + 2 × 4 = 12.
    expect((await v.lease(20)).leases).toHaveLength(12);
  });

  it('caps the leases of all keys of one address together; another address has its own', async () => {
    await start(40, { leaseSeconds: 600, minQuorum: 1 }, { leaseRoom: { newKey: 4, perValid: 1, perAddress: 6 } });
    const a = await enrol('203.0.113.5');
    const b = await enrol('203.0.113.5');
    expect((await a.lease(20)).leases).toHaveLength(4);
    const bLeases = (await b.lease(20)).leases;
    expect(bLeases).toHaveLength(2);
    expect((await (await enrol('198.51.100.9')).lease(20)).leases).toHaveLength(4);
    // What b delivered makes room under the ceiling again, for a key with room of its own (a has none).
    await computeAll(b, bLeases);
    expect((await a.lease(20)).leases).toHaveLength(0);
    expect((await (await enrol('203.0.113.5')).lease(20)).leases).toHaveLength(2);
  });

  it('holds a key that reports a high speed to its validated results and its address’s ceiling all the same', async () => {
    const job = await start(
      40,
      { leaseSeconds: 600, minQuorum: 1 },
      { leaseRoom: { newKey: 4, perValid: 1, perAddress: 6 } },
    );
    const fast = { ...GPU_CAPABILITIES, speeds: [{ job: job as never, unitsPerSecond: 1_000_000 }] };
    const a = await enrol('203.0.113.5');
    expect((await a.lease(20, fast)).leases).toHaveLength(4);
    expect((await (await enrol('203.0.113.5')).lease(20, fast)).leases).toHaveLength(2);
  });

  it('leaves the operator’s loopback keys only the per-key cap', async () => {
    await start(40, { leaseSeconds: 600, minQuorum: 1 }, { leaseRoom: { newKey: 4, perValid: 1, perAddress: 6 } });
    expect((await (await enrol(null)).lease(20)).leases).toHaveLength(20);
    expect((await (await enrol(null)).lease(20)).leases).toHaveLength(20);
  });
});
