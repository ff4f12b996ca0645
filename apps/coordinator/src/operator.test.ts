// The operator token and projects over HTTP: the token is made once, 0600, printed once; POST /v1/projects
// needs it; `npm run coordinator -- project create` talks to the running coordinator and refuses clearly
// when its DATA_DIR is not that coordinator's.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { API, type CreatedProject, type Project } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorTokenPath, rotateOperatorToken } from './operator-token';
import { type Coordinator, startCoordinator } from './server';
import { ChildCoordinator } from './testing/child-coordinator';

const CLI = resolve(import.meta.dirname, 'cli.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Runs `npm run coordinator -- …` as its script runs it, with this DATA_DIR. Asynchronously: a test blocked in a
 * synchronous child for seconds would not see the coordinator close an idle keep-alive connection, and its next
 * fetch would be written to a socket the server had already closed ("other side closed").
 */
function cli(dataDir: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, CLI, ...args],
      { env: { ...process.env, DATA_DIR: dataDir, BRICOLAGE_OPERATOR_TOKEN: '' }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const post = (url: string, token: string | null, body: unknown) =>
  fetch(url + API.projects, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('operator token and projects over HTTP', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-operator-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0 });
  });

  afterAll(async () => {
    await coordinator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is made at first start in the data directory, readable by its owner only, and kept', async () => {
    expect(coordinator.operator).toMatchObject({ created: true, path: operatorTokenPath(dir) });
    expect(coordinator.operator.token).toMatch(/^bro_[A-Za-z0-9_-]{43}$/);
    expect(statSync(operatorTokenPath(dir)).mode & 0o777).toBe(0o600);
    // One coordinator per data directory at a time: the next start finds the token this one made.
    const token = coordinator.operator.token;
    await coordinator.close();
    coordinator = await startCoordinator({ dataDir: dir, port: 0 });
    expect(coordinator.operator).toMatchObject({ created: false, token });
  });

  it('creates a project for the operator only, whose token then names its project', async () => {
    const body = { name: 'Protein folding', description: 'folds', owner: 'lab' };
    for (const token of [null, 'bro_wrong', (await coordinator.createProject('other')).token]) {
      const res = await post(coordinator.url, token, body);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    expect((await post(coordinator.url, coordinator.operator.token, { name: '' })).status).toBe(400);
    const res = await post(coordinator.url, coordinator.operator.token, body);
    expect(res.status).toBe(200);
    const created = (await res.json()) as CreatedProject;
    expect(created.project).toMatchObject(body);
    const mine = await fetch(coordinator.url + API.myProject, {
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect((await mine.json()) as Project).toEqual(created.project);
    expect((await fetch(coordinator.url + API.myProject)).status).toBe(401);
  });

  it('takes a rotated token at once, and refuses the old one', async () => {
    const old = coordinator.operator.token;
    const rotated = rotateOperatorToken(dir);
    expect(statSync(operatorTokenPath(dir)).mode & 0o777).toBe(0o600);
    expect((await post(coordinator.url, old, { name: 'x' })).status).toBe(401);
    expect((await post(coordinator.url, rotated, { name: 'x' })).status).toBe(200);
  });
});

describe('npm run coordinator -- project create, against the running coordinator', () => {
  let dir: string;
  let child: ChildCoordinator;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-cli-'));
    ({ child, url } = await ChildCoordinator.start({ dataDir: join(dir, 'grid') }));
  });

  afterAll(async () => {
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the operator token at the first start only', async () => {
    const token = (await cli(join(dir, 'grid'), 'operator-token')).stdout.trim();
    expect(token).toMatch(/^bro_/);
    // Printed after "listening on" and before "api:".
    await expect.poll(() => child.output).toContain('api:');
    expect(child.output).toContain(`operator:    ${token}`);
    await child.stop();
    ({ child, url } = await ChildCoordinator.start({ dataDir: join(dir, 'grid') }));
    await expect.poll(() => child.output).toContain('api:');
    expect(child.output).not.toContain(token);
    expect(child.output).not.toContain('operator:');
  });

  it("creates the project in the running coordinator's database, with a token it accepts", async () => {
    const run = await cli(join(dir, 'grid'), 'project', 'create', 'Climate', '--owner', 'me', '--url', url);
    expect(run.code, run.stderr).toBe(0);
    const token = /token\s+(brk_\S+)/.exec(run.stdout)?.[1] as string;
    const mine = await fetch(url + API.myProject, { headers: { authorization: `Bearer ${token}` } });
    expect(((await mine.json()) as Project).name).toBe('Climate');
    const list = await cli(join(dir, 'grid'), 'project', 'list', '--url', url);
    expect(list.stdout).toMatch(/prj_[a-z0-9]{16} {2}Climate/);
  });

  it('refuses, and creates nothing, with another DATA_DIR or when no coordinator answers', async () => {
    const before = ((await (await fetch(url + API.projects)).json()) as { projects: unknown[] }).projects.length;
    const elsewhere = join(dir, 'elsewhere');
    const none = await cli(elsewhere, 'project', 'create', 'Lost', '--url', url);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no operator token in ${operatorTokenPath(elsewhere)}`);

    // A data directory of another coordinator: its token is refused by this one.
    const other = join(dir, 'other');
    rmSync(other, { recursive: true, force: true });
    mkdirSync(other, { recursive: true });
    writeFileSync(operatorTokenPath(other), 'bro_someone-else\n', { mode: 0o600 });
    const refused = await cli(other, 'project', 'create', 'Lost', '--url', url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the operator token');
    expect(refused.stderr).toContain('it runs with another DATA_DIR');

    const down = await cli(join(dir, 'grid'), 'project', 'create', 'Lost', '--url', 'http://127.0.0.1:9');
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('no coordinator answers at http://127.0.0.1:9');
    expect(((await (await fetch(url + API.projects)).json()) as { projects: unknown[] }).projects).toHaveLength(before);
  });

  it('answers a bad command line with the usage and exit code 2', async () => {
    const run = await cli(join(dir, 'grid'), 'project', 'delete', 'x');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage:');
  });

  it('answers a --url that is not an http URL with the usage and exit code 2, not a stack trace', async () => {
    for (const url of ['notaurl', 'localhost:8787']) {
      const run = await cli(join(dir, 'grid'), 'project', 'list', '--url', url);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`coordinator: --url ${url} is not an http:// or https:// URL`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
