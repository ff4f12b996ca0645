// What the grid says about checking is what it does: the public project list describes each job from its
// own settings, the README's Quick start quotes what it says of the demo, and a lone volunteer on the demo is
// credited only on its known-answer units, as that paragraph claims.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API,
  type CreateJobRequest,
  describeChecking,
  type Lease,
  type ListedProject,
  sha256Hex,
} from '@bricolage/protocol';
import { cnn, MANDELBROT_DEEP_ZOOM, mandelbrotReference } from '@bricolage/workloads';
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
      'Every result is checked by two volunteers, who must agree, or by one trusted volunteer (25 confirmed ' +
        'results, known answers among them) with at least 5 % re-checked at random; trust fades when unused, and a ' +
        "wrong answer ends it and has that volunteer's results checked again.",
      'Every result is checked by three volunteers, who must agree. About 20 % of the work handed out has a known ' +
        'answer, to check the volunteers themselves.',
      'Every result is checked by two volunteers, who must agree.',
    ]);
  });

  it('says of each listed job whether it runs a kernel or a model, from the job’s own spec', async () => {
    const researcher = new Researcher(coordinator.url, (await coordinator.createProject('kinds')).token);
    const kernel = await researcher.createSquareJob({ name: 'squares' });
    const { request, blobs } = await cnn.job({ workUnits: 0 });
    for (const blob of blobs) {
      const put = await researcher.request(
        'PUT',
        API.blob(await sha256Hex(blob)),
        blob as Uint8Array<ArrayBuffer>,
        'application/octet-stream',
      );
      expect(put.ok).toBe(true);
    }
    const created = await researcher.request('POST', API.jobs, JSON.stringify(request));
    expect(created.status).toBe(200);
    const model = ((await created.json()) as { id: string }).id;
    const [project] = await listed(coordinator.url);
    const kinds = Object.fromEntries(project!.jobs.map((j) => [j.id, j.kind]));
    expect(kinds).toEqual({ [kernel]: 'wgsl', [model]: 'onnx' });
  });

  it('quotes in the README what the page says of the demo, and no tile is ever accepted on one result', async () => {
    // The demo at a small size: 24 tiles outside the set, where every pixel escapes at once, so that the
    // reference computes them in milliseconds.
    const frame = {
      ...MANDELBROT_DEEP_ZOOM,
      centerX: 1.5,
      centerY: 1.5,
      span: 0.5,
      width: 384,
      height: 256,
      maxIter: 16,
    };
    const { job } = await seedDemo(coordinator, { frame });
    const demo = (await listed(coordinator.url)).find((p) => p.name === DEMO_PROJECT)!;
    const sentence = describeChecking(demo.jobs.find((j) => j.id === job)!.checking);
    expect(sentence).toBe('Every result is checked by two volunteers, who must agree.');
    const readme = readFileSync(README, 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`of the demo it says: “${sentence}”`);

    const counts = async () => {
      const status = await fetch(coordinator.url + API.projectStatus(demo.id));
      return ((await status.json()) as { jobs: { counts: Record<string, number> }[] }).jobs[0]!.counts;
    };
    const [alice, bob] = [await SimVolunteer.create(coordinator.url), await SimVolunteer.create(coordinator.url)];
    const compute = async (v: SimVolunteer, leases: readonly Lease[]) =>
      expect((await v.computeAndSubmit(leases, mandelbrotReference)).status).toBe(200);
    const computeAll = async (v: SimVolunteer, max: number) => {
      const { leases } = await v.lease(max);
      expect(leases).toHaveLength(max);
      await compute(v, leases);
      return new Set(leases.map((l) => l.workUnit));
    };
    // A tab alone: its results wait, uncredited.
    const hers = await computeAll(alice, 12);
    expect(await alice.stats()).toMatchObject({ returned: 12, valid: 0, credit: 0, pending: 12 });
    // A second volunteer agrees on the same tiles (units are drawn at random: it takes all 24 and computes hers):
    // both are credited, with more confirmed results than the default adaptive replication asks before it
    // trusts a volunteer alone (10, known answers among them).
    const { leases: his } = await bob.lease(24);
    await compute(
      bob,
      his.filter((l) => hers.has(l.workUnit)),
    );
    expect((await counts()).validated).toBe(12);
    expect((await alice.stats()).consecutiveValid).toBe(12);
    // Still, the next tiles alice computes wait for a second volunteer: none is accepted on her result alone.
    await computeAll(alice, 12);
    expect(await counts()).toMatchObject({ validated: 12, in_progress: 12 });
    expect((await alice.stats()).pending).toBe(12);
  });
});
