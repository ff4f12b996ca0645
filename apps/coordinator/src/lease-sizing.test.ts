// Leases sized to the device over real HTTP, with a manual clock: a device that reports its speed on a job
// gets units for a target time of work and a deadline that follows its speed (rules/lease-size.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Capabilities } from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import { FULL_RETRY_S, NO_WORK_RETRY_S } from './http/volunteer';
import { DEFAULT_SIZING } from './rules/lease-size';
import { type Coordinator, startCoordinator } from './server';
import { Researcher, square } from './testing/fixtures';
import { GPU_CAPABILITIES, SimVolunteer } from './testing/sim-volunteer';

describe('leases sized to the device', () => {
  let dir: string;
  let clock: ManualClock;
  let coordinator: Coordinator;
  let researcher: Researcher;
  const measured = (job: string, unitsPerSecond: number): Capabilities => ({
    ...GPU_CAPABILITIES,
    speeds: [{ job: job as never, unitsPerSecond }],
  });

  /** A coordinator of its own for one test, on the suite's clock, closed and removed after `test`. */
  const withCoordinator = async (
    options: Omit<Parameters<typeof startCoordinator>[0], 'dataDir' | 'port' | 'clock'>,
    test: (c: Coordinator) => Promise<void>,
  ) => {
    const own = mkdtempSync(join(tmpdir(), 'bricolage-sizing-'));
    const c = await startCoordinator({ dataDir: own, port: 0, clock, ...options });
    try {
      await test(c);
    } finally {
      await c.close();
      rmSync(own, { recursive: true, force: true });
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-sizing-'));
    clock = new ManualClock();
    coordinator = await startCoordinator({
      dataDir: dir,
      port: 0,
      clock,
      random: seededRandom(7),
      config: { maxLeasesPerVolunteer: 1000 },
    });
    researcher = new Researcher(coordinator.url, (await coordinator.createProject('sizing')).token);
  });

  afterEach(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leases a device measured 100× faster 100× the units, each until its own speed says', async () => {
    const job = await researcher.createSquareJob({ leaseSeconds: 600 });
    await researcher.addSquares(job, 1, 1000);
    const [phone, gpu, unmeasured] = await Promise.all([1, 2, 3].map(() => SimVolunteer.create(coordinator.url)));
    const slow = await phone!.lease(1, measured(job, 0.1));
    const fast = await gpu!.lease(1, measured(job, 10));
    expect(slow.leases).toHaveLength(3);
    expect(fast.leases).toHaveLength(300);
    // 30 s of work each: both leases last 2 · 30 + 15 s, not the job's 600 s.
    for (const l of [...slow.leases, ...fast.leases]) expect(l.deadline).toBe(clock.now() + 75_000);
    // A device that reports no speed gets what it asked for, for the job's leaseSeconds.
    const asked = await unmeasured!.lease(4);
    expect(asked.leases).toHaveLength(4);
    expect(asked.leases[0]!.deadline).toBe(clock.now() + 600_000);

    // The fast device vanishes: its 300 units come back after 75 s, not 10 minutes.
    await gpu!.computeAndSubmit(fast.leases.slice(0, 10), square);
    clock.advance(76_000);
    expect(await coordinator.sweep()).toBe(290 + 3);
    expect(await unmeasured!.computeAndSubmit(asked.leases, square)).toMatchObject({ status: 200 });
  });

  it('gives a fast device the few units left with a short deadline, and never more than it may hold', async () => {
    const job = await researcher.createSquareJob({ leaseSeconds: 600 });
    await researcher.addSquares(job, 1, 5);
    const [gpu] = await Promise.all([SimVolunteer.create(coordinator.url)]);
    const { leases } = await gpu!.lease(1, measured(job, 1000));
    expect(leases).toHaveLength(5);
    // The lease is planned for the 4096 units a device this fast may hold (DEFAULT_SIZING.maxHeld, above the
    // per-key cap of 1000), 4.1 s of work at 1000/s: 2 · 4.096 + 15 s, not 600 s.
    expect(leases[0]!.deadline).toBe(clock.now() + 23_192);
    const big = await researcher.createSquareJob({ leaseSeconds: 600, name: 'big' });
    await researcher.addSquares(big, 1, 5000);
    const more = await gpu!.lease(1, measured(big, 1000));
    expect(more.leases).toHaveLength(DEFAULT_SIZING.maxHeld - 5);
    // The same key reporting no speed is held to the per-key cap: it is full.
    expect(await gpu!.lease(10)).toMatchObject({ leases: [], retryAfter: FULL_RETRY_S, full: true });
  });

  it('tells a device holding the most leases it may to ask again in a second, and one without work in ten s', async () => {
    const job = await researcher.createSquareJob({ leaseSeconds: 600 });
    await researcher.addSquares(job, 1, 1200);
    const [gpu, other] = await Promise.all([1, 2].map(() => SimVolunteer.create(coordinator.url)));
    const held = await gpu!.lease(1000);
    expect(held.leases).toHaveLength(1000);
    // Its own results in flight free room within moments: "no work, come back in 10 s" would idle a fast tab.
    expect(await gpu!.lease(1)).toMatchObject({ leases: [], retryAfter: FULL_RETRY_S, full: true });
    await gpu!.computeAndSubmit(held.leases.slice(0, 10), square);
    expect((await gpu!.lease(100)).leases).toHaveLength(10);
    // A device that cannot run the job is told the grid has nothing for it (no adapter, no wasm twin), and that
    // nothing of its own holds it back.
    const none = await other!.lease(1, { ...GPU_CAPABILITIES, webgpu: null });
    expect(none).toMatchObject({ leases: [], retryAfter: NO_WORK_RETRY_S, full: false });
    expect(none.heldBack).toBeUndefined();
  });

  it('grants no more units with inline inputs than one answer carries; a measured device leases again for more', async () => {
    await withCoordinator({ config: { maxLeasesPerVolunteer: 1000, inlineLeaseBytes: 10 * 16 } }, async (c) => {
      const owner = new Researcher(c.url, (await c.createProject('inline')).token);
      const job = await owner.createSquareJob({ leaseSeconds: 600 });
      await owner.addSquares(job, 1, 100);
      const gpu = await SimVolunteer.create(c.url);
      // 30 s of work at 1000 units/s is the whole job, but only 10 inputs of 16 bytes fit in an answer.
      const first = await gpu.lease(1, measured(job, 1000));
      expect(first.leases).toHaveLength(10);
      expect(first.leases.every((l) => l.input !== null)).toBe(true);
      const second = await gpu.lease(1, measured(job, 1000));
      expect(second.leases).toHaveLength(10);
      expect(new Set([...first.leases, ...second.leases].map((l) => l.workUnit)).size).toBe(20);
    });
  });

  it('grants units whose inputs are too large to travel inline by the device speed alone; they are fetched by hash', async () => {
    await withCoordinator(
      { config: { maxLeasesPerVolunteer: 1000, inlineInputBytes: 8, inlineLeaseBytes: 10 * 16 } },
      async (c) => {
        const owner = new Researcher(c.url, (await c.createProject('by hash')).token);
        const job = await owner.createSquareJob({ leaseSeconds: 600 });
        await owner.addSquares(job, 1, 100);
        const gpu = await SimVolunteer.create(c.url);
        const { leases } = await gpu.lease(1, measured(job, 1000));
        expect(leases).toHaveLength(100);
        expect(leases.filter((l) => l.input !== null)).toHaveLength(0);
        const fetched = await fetch(`${c.url}/v1/blobs/${leases[50]!.inputHash}`);
        expect(fetched.status).toBe(200);
        expect(new Uint8Array(await fetched.arrayBuffer())).toHaveLength(16);
      },
    );
  });

  it('holds a job the device reported no speed for to the per-key cap, however fast it is on another job', async () => {
    // What a farm tab did on `npm start`'s grid: measured at thousands of units a second on a researcher's
    // squares, its ceiling rose to 4,096 (keyCeiling), and the room went to the demo, whose speed it had not
    // reported yet: 613 deep-zoom tiles (~0.9 s each) for one tab on 600 s leases, most of them to expire,
    // while the next job waited for a second volunteer that had no room left.
    await withCoordinator({ random: seededRandom(7), config: { maxLeasesPerVolunteer: 100 } }, async (c) => {
      const owner = new Researcher(c.url, (await c.createProject('two jobs')).token);
      const quick = await owner.createSquareJob({ leaseSeconds: 600, name: 'quick' });
      await owner.addSquares(quick, 1, 5);
      const slow = await owner.createSquareJob({ leaseSeconds: 600, name: 'slow' });
      await owner.addSquares(slow, 1, 2000);
      const tab = await SimVolunteer.create(c.url);
      const first = await tab.lease(1000, measured(quick, 1000));
      const onSlow = first.leases.filter((l) => l.job === slow);
      expect(first.leases.filter((l) => l.job === quick)).toHaveLength(5);
      expect(onSlow.length).toBeGreaterThan(0);
      // The 5 measured units may come on top (their room is the speed's); the unmeasured job's stay under the cap.
      expect(onSlow.length).toBeLessThanOrEqual(100);
      // Full at the per-key cap for the unmeasured job, whatever the other job's speed says.
      expect(await tab.lease(1000, measured(quick, 1000))).toMatchObject({ leases: [] });
      // Once it reports a speed on that job too, it gets what that speed needs.
      const sized = await tab.lease(1000, {
        ...GPU_CAPABILITIES,
        speeds: [{ job: slow as never, unitsPerSecond: 1000 }],
      });
      expect(sized.leases.length).toBeGreaterThan(100);
    });
  });
});
