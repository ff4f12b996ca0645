// A volunteer's choice of projects (`projects` in the lease request): only the chosen projects' units are
// leased, none when it chose none, and the choice combines with `project`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type LeaseResponse } from '@bricolage/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from './clock';
import { leaseScopes } from './http/volunteer';
import { type Coordinator, startCoordinator } from './server';
import { Researcher } from './testing/fixtures';
import { GPU_CAPABILITIES, SimVolunteer } from './testing/sim-volunteer';

describe('leaseScopes', () => {
  it('is every project when nothing is chosen, the choice otherwise, and its intersection with `project`', () => {
    expect(leaseScopes(undefined, undefined)).toEqual([undefined]);
    expect(leaseScopes('prj_a', undefined)).toEqual(['prj_a']);
    expect(leaseScopes(undefined, ['prj_a', 'prj_b', 'prj_a'])).toEqual(['prj_a', 'prj_b']);
    expect(leaseScopes('prj_b', ['prj_a', 'prj_b'])).toEqual(['prj_b']);
    expect(leaseScopes('prj_c', ['prj_a'])).toEqual([]);
    expect(leaseScopes(undefined, [])).toEqual([]);
  });
});

describe('the projects a volunteer serves', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-choice-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0, random: seededRandom(4) });
  });

  afterEach(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leases only from the chosen projects, across them up to `max`, and nothing for an empty choice', async () => {
    const made = await Promise.all(['a', 'b', 'c'].map((n) => coordinator.createProject(n)));
    const jobs: string[] = [];
    for (const { token } of made) {
      const researcher = new Researcher(coordinator.url, token);
      const job = await researcher.createSquareJob();
      await researcher.addSquares(job, 1, 3);
      jobs.push(job);
    }
    const [a, b] = made.map((m) => m.project);
    const volunteer = await SimVolunteer.create(coordinator.url);
    const lease = async (projects: string[]) => {
      const reply = await volunteer.post<LeaseResponse>(API.lease, {
        capabilities: GPU_CAPABILITIES,
        max: 5,
        projects,
      });
      expect(reply.status).toBe(200);
      return reply.body;
    };

    const none = await lease([]);
    expect(none.leases).toEqual([]);
    expect(none.retryAfter).toBeGreaterThan(0);

    const chosen = await lease([a!, b!]);
    expect(chosen.leases).toHaveLength(5);
    expect(new Set(chosen.leases.map((l) => l.job))).toEqual(new Set([jobs[0], jobs[1]]));
    expect(chosen.jobs.every((j) => j.project === a || j.project === b)).toBe(true);

    const rest = await lease([a!, b!]);
    expect(rest.leases).toHaveLength(1);
    expect(rest.leases[0]!.job).not.toBe(jobs[2]);
  });

  it('refuses a choice that is not a list of project ids', async () => {
    const volunteer = await SimVolunteer.create(coordinator.url);
    const reply = await volunteer.post<{ error: { code: string } }>(API.lease, {
      capabilities: GPU_CAPABILITIES,
      projects: ['not a project'],
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('bad_request');
  });
});
