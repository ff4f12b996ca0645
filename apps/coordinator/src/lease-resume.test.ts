// A page that starts afresh takes back the leases its key still holds (`resumeAfter`), over real HTTP on both
// stores, on a manual clock: a page that left otherwise strands its key's room until the leases expire.
import { API, type Lease, type LeaseResponse, fromBase64 } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock, seededRandom } from './clock';
import type { CoordinatorConfig } from './config';
import { describeBackends } from './testing/backends';
import { Researcher, square } from './testing/fixtures';
import { useGrid } from './testing/grid-fixture';
import { GPU_CAPABILITIES, SimVolunteer, okResult } from './testing/sim-volunteer';

describeBackends('a page taking back its key’s leases', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, { name: 'lease-resume' });

  async function start(units: number, config: Partial<CoordinatorConfig> = {}): Promise<string> {
    await grid.start({
      clock,
      random: seededRandom(5),
      config: { sweepMs: 3_600_000, maxLeasesPerVolunteer: 8, ...config },
      log: () => undefined,
      project: 'resume',
    });
    const id = await grid.researcher.createSquareJob({ leaseSeconds: 600 });
    expect((await grid.researcher.addSquares(id, 1, units)).status).toBe(200);
    return id;
  }

  const resume = async (v: SimVolunteer, after: string | null, extra: object = {}) => {
    const reply = await v.post<LeaseResponse>(API.lease, {
      capabilities: GPU_CAPABILITIES,
      max: 8,
      resumeAfter: after,
      ...extra,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body;
  };
  const submitAll = async (v: SimVolunteer, leases: readonly Lease[]) =>
    v.submit(leases.map((l) => okResult(l, square(fromBase64(l.input ?? '')))));

  it('sends a key’s open leases back first, deadlines unchanged, and they are computed as leased', async () => {
    await start(20);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const first = await v.lease(8);
    expect(first.leases).toHaveLength(8);
    clock.advance(5_000);
    // The page left; the key's next page without a resume finds the room full until the leases expire.
    expect(await v.lease(8)).toMatchObject({ leases: [], full: true });

    const back = await resume(v, null);
    expect(back.resumed).toBe(8);
    expect(back.resumeNext).toBeUndefined();
    expect(back.leases).toEqual(first.leases);
    expect(back.jobs.map((j) => j.id)).toEqual(first.jobs.map((j) => j.id));
    const submitted = await submitAll(v, back.leases);
    expect(submitted.status).toBe(200);
    expect((submitted.body as { accepted: number }).accepted).toBe(8);
    // Room made: new leases come, and nothing is held to resume.
    const next = await resume(v, null);
    expect(next.resumed).toBe(0);
    expect(next.leases).toHaveLength(8);
    expect(next.leases.map((l) => l.lease)).not.toEqual(expect.arrayContaining(first.leases.map((l) => l.lease)));
  });

  it('after a resume fills the room no further, new leases follow the held ones in one answer', async () => {
    await start(20);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const held = (await v.lease(3)).leases;
    const back = await resume(v, null);
    expect(back.resumed).toBe(3);
    expect(back.leases.slice(0, 3)).toEqual(held);
    // The room is 8: five new ones after the three held.
    expect(back.leases).toHaveLength(8);
    expect(new Set(back.leases.map((l) => l.workUnit)).size).toBe(8);
  });

  it('carries back no more inputs than one answer holds, and goes on from where it stopped', async () => {
    // Each square's input is 16 bytes: 40 bytes carry two, and the first lease always goes.
    await start(20, { inlineLeaseBytes: 40 });
    const v = await SimVolunteer.create(grid.coordinator.url);
    const held: Lease[] = [];
    while (held.length < 8) held.push(...(await v.lease(8 - held.length)).leases);
    const seen: Lease[] = [];
    let after: string | null = null;
    for (let round = 0; round < 8; round++) {
      const answer = await resume(v, after);
      expect(answer.resumed).toBe(answer.leases.length);
      expect(answer.leases.length).toBeGreaterThan(0);
      seen.push(...answer.leases);
      if (!answer.resumeNext) break;
      expect(answer.resumeNext).toBe(answer.leases.at(-1)?.lease);
      after = answer.resumeNext;
    }
    expect(seen.map((l) => l.lease).sort()).toEqual(held.map((l) => l.lease).sort());
  });

  it('sends back no expired lease, no stranger’s, none of a project the page no longer serves', async () => {
    const job = await start(4);
    const other = await grid.coordinator.createProject('other');
    const researcher = new Researcher(grid.coordinator.url, other.token);
    const otherJob = await researcher.createSquareJob({ leaseSeconds: 30 });
    expect((await researcher.addSquares(otherJob, 1, 4)).status).toBe(200);
    const v = await SimVolunteer.create(grid.coordinator.url);
    const stranger = await SimVolunteer.create(grid.coordinator.url);
    const mine = (await v.lease(8)).leases;
    expect(new Set(mine.map((l) => l.job))).toEqual(new Set([job, otherJob]));
    await stranger.lease(4);

    // Only this project's, when the page serves it alone.
    const chosen = await resume(v, null, { projects: [grid.project] });
    expect(chosen.leases.map((l) => l.lease)).toEqual(mine.filter((l) => l.job === job).map((l) => l.lease));
    // The other job's leases (30 s) have expired: never sent back, even to a page serving every project.
    clock.advance(31_000);
    const all = await resume(v, null);
    expect(all.leases.slice(0, all.resumed).map((l) => l.lease)).toEqual(
      mine.filter((l) => l.job === job).map((l) => l.lease),
    );
  });
});
