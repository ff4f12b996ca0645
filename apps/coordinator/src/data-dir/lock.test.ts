import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startCoordinator } from '../server';
import { ChildCoordinator } from '../testing/child-coordinator';
import { operatorCommand } from '../testing/operator-command';
import { DataDirectoryInUse } from './lock';

describe("the data directory's owner", () => {
  let dir = '';
  let child: ChildCoordinator | null = null;

  afterEach(async () => {
    await child?.kill();
    child = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is one coordinator at a time: a second is refused, here and as `npm start`, until the first stops', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-lock-'));
    const first = await startCoordinator({ dataDir: dir, log: () => undefined });
    try {
      await expect(startCoordinator({ dataDir: dir, log: () => undefined })).rejects.toBeInstanceOf(DataDirectoryInUse);
      const second = ChildCoordinator.spawn({ dataDir: dir });
      expect(await second.exited).toEqual({ code: 1, signal: null });
      expect(second.output).toMatch(/another coordinator is running with this data directory/);
    } finally {
      await first.close();
    }
    const next = await startCoordinator({ dataDir: dir, log: () => undefined });
    await next.close();
  });

  it('is released by the kernel when the owner is killed with SIGKILL', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-lock-'));
    child = (await ChildCoordinator.start({ dataDir: dir })).child;
    await expect(startCoordinator({ dataDir: dir, log: () => undefined })).rejects.toBeInstanceOf(DataDirectoryInUse);
    await child.kill('SIGKILL');
    const next = await startCoordinator({ dataDir: dir, log: () => undefined });
    await next.close();
  });

  it('lets operator commands run beside it: a project created by the CLI is served at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-lock-'));
    const coordinator = await startCoordinator({ dataDir: dir, log: () => undefined });
    try {
      const created = await operatorCommand(dir, ['project', 'create', 'beside', '--url', coordinator.url]);
      expect(created, created.stderr).toMatchObject({ code: 0 });
      const token = /token\s+(brk_\S+)/.exec(created.stdout)?.[1];
      expect(token).toBeDefined();
      const jobs = await fetch(coordinator.url + API.jobs, { headers: { authorization: `Bearer ${token}` } });
      expect(jobs.status).toBe(200);
      const projects = (await (await fetch(coordinator.url + API.projects)).json()) as { projects: { name: string }[] };
      expect(projects.projects.map((p) => p.name)).toEqual(['beside']);
    } finally {
      await coordinator.close();
    }
  });
});
