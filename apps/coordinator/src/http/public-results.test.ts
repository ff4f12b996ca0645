// A job that publishes its results (publicResults) can be read by anyone, without a token, at
// /v1/jobs/{job}/public-results; any other job's results stay the researcher's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, fromBase64, type ProjectStatus, type ResultLine, toBase64 } from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher, square, squareInput } from '../testing/fixtures';
import { SimVolunteer } from '../testing/sim-volunteer';

const single = { minQuorum: 1, maxTotalResults: 2, maxErrorResults: 0, homogeneous: false };

describe('public results', () => {
  let dir: string;
  let coordinator: Coordinator;
  let researcher: Researcher;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-public-results-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0 });
    researcher = new Researcher(coordinator.url, (await coordinator.createProject('public')).token);
  });
  afterEach(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = async (res: Response): Promise<ResultLine[]> =>
    (await res.text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ResultLine);

  it('serves a publishing job to anyone, from a cursor, and says so on the project status', async () => {
    const job = await researcher.createSquareJob({ redundancy: single, publicResults: true });
    await researcher.addSquares(job, 1, 3);
    const v = await SimVolunteer.create(coordinator.url);
    await v.computeAndSubmit((await v.lease(3)).leases, square);

    const all = await lines(await fetch(coordinator.url + API.publicResults(job)));
    expect(all.map((l) => [l.tag, l.state])).toEqual([
      ['n=1', 'validated'],
      ['n=2', 'validated'],
      ['n=3', 'validated'],
    ]);
    expect(fromBase64(all[1]?.output ?? '')).toEqual(square(squareInput(2)));
    const rest = await fetch(`${coordinator.url}${API.publicResults(job)}?after=${all[0]?.cursor}&limit=1`);
    expect((await lines(rest)).map((l) => l.tag)).toEqual(['n=2']);

    const project = ((await (await researcher.request('GET', API.job(job))).json()) as { job: { project: string } }).job
      .project;
    const status = (await (await fetch(coordinator.url + API.projectStatus(project))).json()) as ProjectStatus;
    expect(status.jobs.find((j) => j.id === job)?.publicResults).toBe(true);
  });

  it('sends tags with leases of a publishing job only, a known-answer unit’s like any other', async () => {
    const open = await researcher.createSquareJob({ redundancy: single, publicResults: true, knownAnswerRate: 1 });
    await researcher.addSquares(open, 1, 2);
    // Known-answer units are units of the job with tags of the job's kind: a lease without one would name them.
    const known = [100, 200]
      .map((n) => ({ input: toBase64(squareInput(n)), expected: toBase64(square(squareInput(n))), tag: `k=${n}` }))
      .map((line) => `${JSON.stringify(line)}\n`)
      .join('');
    expect((await researcher.request('POST', API.workUnits(open), known, 'application/x-ndjson')).status).toBe(200);
    const v = await SimVolunteer.create(coordinator.url);
    const leases = (await v.lease(4)).leases;
    expect(leases).toHaveLength(4);
    expect(leases.map((l) => l.tag ?? null).sort()).toEqual(['k=100', 'k=200', 'n=1', 'n=2']);

    const closed = await researcher.createSquareJob({ redundancy: single });
    await researcher.addSquares(closed, 10, 2);
    const other = await SimVolunteer.create(coordinator.url);
    const plain = (await other.lease(10)).leases.filter((l) => l.job === closed);
    expect(plain).toHaveLength(2);
    for (const lease of plain) expect(lease).not.toHaveProperty('tag');
  });

  it('never lists known-answer units: which units they are, and their answers, stay the researcher’s', async () => {
    const job = await researcher.createSquareJob({ redundancy: single, publicResults: true, knownAnswerRate: 1 });
    const uploaded = Date.now();
    // The known answers first: they are the job's first results, finished at upload, before anyone computed.
    const known = [100, 200, 300]
      .map((n) => ({ input: toBase64(squareInput(n)), expected: toBase64(square(squareInput(n))), tag: `k=${n}` }))
      .map((line) => `${JSON.stringify(line)}\n`)
      .join('');
    expect((await researcher.request('POST', API.workUnits(job), known, 'application/x-ndjson')).status).toBe(200);
    await researcher.addSquares(job, 1, 2);
    const published = async (query = '') => lines(await fetch(`${coordinator.url}${API.publicResults(job)}${query}`));
    expect(await published()).toEqual([]);

    const v = await SimVolunteer.create(coordinator.url);
    await v.computeAndSubmit((await v.lease(10)).leases, square);
    expect((await published()).map((l) => l.tag)).toEqual(['n=1', 'n=2']);
    // A page is read on past them: the first result after the cursor is there, not an empty page.
    expect((await published('?after=0&limit=1')).map((l) => l.tag)).toEqual(['n=1']);
    // The researcher's own download has every result, the known answers as of their upload.
    const mine = await lines(await researcher.request('GET', API.results(job)));
    expect(mine.map((l) => l.tag)).toEqual(['k=100', 'k=200', 'k=300', 'n=1', 'n=2']);
    for (const l of mine.slice(0, 3)) expect(l.at).toBeGreaterThanOrEqual(uploaded);
  });

  it("keeps every other job's results private: 403, and 404 for no such job", async () => {
    const job = await researcher.createSquareJob({ redundancy: single });
    const res = await fetch(coordinator.url + API.publicResults(job));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: { code: 'forbidden', message: `job ${job} does not publish its results (publicResults is off)` },
    });
    expect((await fetch(coordinator.url + API.publicResults('job_0000000000000000'))).status).toBe(404);
    expect((await fetch(coordinator.url + API.publicResults('nope'))).status).toBe(400);
    // The researcher's own download still needs the token, publishing or not.
    expect((await fetch(coordinator.url + API.results(job))).status).toBe(401);
  });
});
