// What a farm says when it finds no work: read over real HTTP from a real coordinator's public status.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Coordinator, startCoordinator } from '@bricolage/coordinator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Researcher } from '../../coordinator/src/testing/fixtures';
import { describeUnfinished, readGridStatus, unfinishedJobs } from './grid-status';

describe('grid status after a farm found no work', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-grid-status-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0 });
  });

  afterAll(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the jobs with unfinished work units and why, and nothing once every job is done or cancelled', async () => {
    const { token } = await coordinator.createProject('farm status');
    const researcher = new Researcher(coordinator.url, token);
    const waiting = await researcher.createSquareJob({ name: 'waiting' });
    await researcher.addSquares(waiting, 1, 3);
    const paused = await researcher.createSquareJob({ name: 'paused' });
    await researcher.addSquares(paused, 1, 2);
    await researcher.request('POST', `/v1/jobs/${paused}/pause`);
    await researcher.createSquareJob({ name: 'empty' });

    const status = await readGridStatus(coordinator.url);
    expect(status).not.toBeNull();
    const jobs = unfinishedJobs(status ?? []);
    expect(jobs).toEqual([
      {
        project: 'farm status',
        job: waiting,
        name: 'waiting',
        unfinished: 3,
        why: 'no volunteer online: none has been heard from in the last 2 minutes',
      },
      {
        project: 'farm status',
        job: paused,
        name: 'paused',
        unfinished: 2,
        why: 'paused: 2 work units wait; resume the job to lease them',
      },
    ]);
    expect(describeUnfinished(jobs)).toEqual([
      'The grid still has 5 unfinished work units, but none for this farm:',
      `  ${waiting} "waiting" (farm status): 3 left; no volunteer online: none has been heard from in the last 2 minutes`,
      `  ${paused} "paused" (farm status): 2 left; paused: 2 work units wait; resume the job to lease them`,
    ]);

    for (const job of [waiting, paused]) await researcher.request('POST', `/v1/jobs/${job}/cancel`);
    expect(unfinishedJobs((await readGridStatus(coordinator.url)) ?? [])).toEqual([]);
  });

  it('reads one project only when asked, and cannot tell when nothing answers', async () => {
    const { project } = await coordinator.createProject('another');
    expect((await readGridStatus(coordinator.url, project))?.map((s) => s.project.name)).toEqual(['another']);
    expect(await readGridStatus('http://127.0.0.1:9')).toBeNull();
  });
});
