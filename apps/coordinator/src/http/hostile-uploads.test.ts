// Work-unit uploads under interference, against a real coordinator over loopback HTTP and its SQLite file:
// an operator's `project list` (its own process, and a second store in this one) while an upload is in
// flight, and staged rows vanishing before the commit. An upload adds every line, or none and says so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, ErrorBody, toBase64 } from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../clock';
import { DEFAULT_CONFIG } from '../config';
import { layoutOf } from '../data-dir/layout';
import { type Coordinator, openStore, startCoordinator } from '../server';
import { Researcher, squareInput } from '../testing/fixtures';
import { operatorCommand } from '../testing/operator-command';
import { type StreamingRequest, streamRaw } from '../testing/raw-http';

const lines = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `${JSON.stringify({ input: toBase64(squareInput(from + i)) })}\n`).join('');

describe('uploads under interference', () => {
  let dir = '';
  let coordinator: Coordinator;
  let researcher: Researcher;
  let project = '';
  /** A second connection to the database file, as another process would have. */
  let db: Database.Database;

  const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
  const staged = () => count("SELECT COUNT(*) AS n FROM work_units WHERE state = 'staged'");
  const visible = (job: string) =>
    count("SELECT COUNT(*) AS n FROM work_units WHERE job = ? AND state = 'unsent'", job);
  const upload = (job: string): StreamingRequest =>
    streamRaw(coordinator.url, {
      method: 'POST',
      path: API.workUnits(job),
      token: researcher.token,
      type: 'application/x-ndjson',
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-uploads-'));
    coordinator = await startCoordinator({ dataDir: dir, random: seededRandom(5), log: () => undefined });
    const created = await coordinator.createProject('uploads');
    project = created.project;
    researcher = new Researcher(coordinator.url, created.token);
    db = new Database(layoutOf(dir).database);
  });

  afterAll(async () => {
    db?.close();
    await coordinator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds all 5,000 lines of an upload during which `project list` ran, in another process and in this one', async () => {
    const job = await researcher.createSquareJob();
    const request = upload(job);
    await request.write(lines(0, 2000));
    // Two chunks of 1,000 are staged, not yet visible: what the operator's store open used to delete.
    await expect.poll(staged, { timeout: 30_000 }).toBe(2000);

    const listed = await operatorCommand(dir, ['project', 'list']);
    expect(listed, listed.stderr).toMatchObject({ code: 0 });
    expect(listed.stdout).toContain(project);
    const operator = await openStore(dir, DEFAULT_CONFIG, Math.random);
    expect((await operator.listProjects()).map((p) => p.id)).toEqual([project]);
    await operator.close();
    expect(staged()).toBe(2000);

    await request.write(lines(2000, 3000));
    const reply = await request.end();
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ added: 5000 });
    expect(visible(job)).toBe(5000);
    expect(staged()).toBe(0);
  });

  it('refuses, with a 409 and nothing added, an upload whose staged rows vanished before it committed', async () => {
    const job = await researcher.createSquareJob({ name: 'vanishing' });
    const request = upload(job);
    await request.write(lines(10_000, 2000));
    await expect.poll(staged, { timeout: 30_000 }).toBe(2000);
    // What any cleanup that does not know this upload would do (an earlier release's store open did).
    db.prepare(
      "DELETE FROM work_units WHERE rowid IN (SELECT rowid FROM work_units WHERE state = 'staged' LIMIT 500)",
    ).run();

    await request.write(lines(12_000, 1000));
    const reply = await request.end();
    expect(reply.status, reply.text).toBe(409);
    const body = ErrorBody.parse(JSON.parse(reply.text));
    expect(body.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/2500 of the 3000/) });
    expect(visible(job)).toBe(0);
    expect(staged()).toBe(0);
    expect(count('SELECT COUNT(*) AS n FROM staged_blobs')).toBe(0);
  });
});
