// What the grid says about checking is what it does: the public project list describes each job from its
// own settings, the README's Quick start quotes what it says of the demo, and a lone volunteer on the demo is
// credited only on its known-answer units, as that paragraph claims.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type CreateJobRequest, describeChecking, type ListedProject } from '@bricolage/protocol';
import { primesReference } from '@bricolage/workloads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from './clock';
import { DEMO_PROJECT, seedDemo } from './seed';
import { type Coordinator, startCoordinator } from './server';
import { Researcher } from './testing/fixtures';
import { SimVolunteer } from './testing/sim-volunteer';

const README = join(import.meta.dirname, '../../../README.md');

async function listed(url: string): Promise<ListedProject[]> {
  const res = await fetch(url + API.projects);
  expect(res.status).toBe(200);
  return ((await res.json()) as { projects: ListedProject[] }).projects;
}

describe('claims about checking', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-claims-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0, random: seededRandom(5) });
  });

  afterEach(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists each open job with the checking its own settings give, and no closed job', async () => {
    const researcher = new Researcher(coordinator.url, (await coordinator.createProject('claims')).token);
    const settings: Partial<CreateJobRequest>[] = [
      { redundancy: { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 1, homogeneous: false } },
      { adaptive: { enabled: true, trustAfter: 25, spotCheckRate: 0.05 } },
      {
        redundancy: { minQuorum: 3, maxTotalResults: 6, maxErrorResults: 3, homogeneous: true },
        knownAnswerRate: 0.2,
      },
      { knownAnswerRate: 0.3 }, // a rate, but no known-answer unit: nothing to claim
    ];
    const jobs: string[] = [];
    for (const [i, s] of settings.entries()) jobs.push(await researcher.createSquareJob({ name: `job ${i}`, ...s }));
    await researcher.addSquares(jobs[2]!, 1, 2, 1);
    await researcher.addSquares(jobs[3]!, 1, 2, 0);
    const cancelled = await researcher.createSquareJob({ name: 'cancelled' });
    expect((await researcher.request('POST', API.cancel(cancelled))).status).toBe(200);

    const [project] = await listed(coordinator.url);
    expect(project!.jobs.map((j) => j.id).sort()).toEqual([...jobs].sort());
    const byId = new Map(project!.jobs.map((j) => [j.id as string, j]));
    const described = jobs.map((id) => describeChecking(byId.get(id)!.checking));
    expect(described).toEqual([
      'Each result is accepted from a single volunteer, without a second opinion.',
      'Every result is checked by two volunteers, who must agree, or by one trusted volunteer (25 agreeing results ' +
        'in a row) with at least 5 % re-checked at random.',
      'Every result is checked by three volunteers, who must agree. About 20 % of the work handed out has a known ' +
        'answer, to check the volunteers themselves.',
      'Every result is checked by two volunteers, who must agree.',
    ]);
  });

  it('quotes in the README what the page says of the demo, and a lone tab is credited only on known answers', async () => {
    // The demo at a small size: 64 segments, every 25th also a known-answer unit.
    const { job } = await seedDemo(coordinator, { limit: 2 ** 20, segment: 2 ** 14 });
    const demo = (await listed(coordinator.url)).find((p) => p.name === DEMO_PROJECT)!;
    const sentence = describeChecking(demo.jobs.find((j) => j.id === job)!.checking);
    const readme = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`it says: “${sentence}”`);

    const alone = await SimVolunteer.create(coordinator.url);
    for (;;) {
      const { leases } = await alone.lease(16);
      if (leases.length === 0) break;
      expect((await alone.computeAndSubmit(leases, primesReference)).status).toBe(200);
    }
    // Credited on some units (the known answers it passed), while every ordinary unit waits for a second volunteer.
    const stats = await alone.stats();
    expect(stats.valid).toBeGreaterThan(0);
    expect(stats.credit).toBeGreaterThan(0);
    expect(stats.pending).toBe(stats.returned - stats.valid);
    const status = await fetch(coordinator.url + API.projectStatus(demo.id));
    const [counts] = ((await status.json()) as { jobs: { counts: Record<string, number> }[] }).jobs.map(
      (j) => j.counts,
    );
    expect(counts).toMatchObject({ validated: 0, in_progress: 64, unsent: 0 });
    expect(stats.pending).toBe(64);
  });
});
