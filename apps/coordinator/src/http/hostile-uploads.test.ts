// Work-unit uploads under interference, against a real coordinator over loopback HTTP and its database:
// an operator's `project list` (its own process, and a second store in this one) while an upload is in
// flight, and staged rows vanishing before the commit. An upload adds every line, or none and says so.
import { API, ErrorBody } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { seededRandom } from '../clock';
import { DEFAULT_CONFIG } from '../config';
import { openStore } from '../server';
import { describeBackends } from '../testing/backends';
import { squareLines } from '../testing/fixtures';
import { useGrid } from '../testing/grid-fixture';
import { operatorCommand } from '../testing/operator-command';
import { type StreamingRequest, sendRaw, streamRaw } from '../testing/raw-http';

describeBackends('uploads under interference', (backend) => {
  // grid.db: a second connection to the database, as another process would have.
  const grid = useGrid(backend, {
    name: 'uploads',
    per: 'block',
    start: () => ({
      random: seededRandom(5),
      log: () => undefined,
      project: 'uploads',
      // The uploads held open while an operator's CLI starts in its own process must outlast a loaded machine's
      // slow start: the default 30 s of silence would close them.
      config: { idleTimeoutMs: 600_000 },
    }),
  });

  const count = async (sql: string, ...args: unknown[]) =>
    Number((await grid.db.query<{ n: number }>(sql, args))[0]?.n);
  const staged = () => count("SELECT COUNT(*) AS n FROM work_units WHERE state = 'staged'");
  const visible = (job: string) =>
    count("SELECT COUNT(*) AS n FROM work_units WHERE job = ? AND state = 'unsent'", job);
  const upload = (job: string, key?: string): StreamingRequest =>
    streamRaw(grid.coordinator.url, {
      method: 'POST',
      path: API.workUnits(job),
      token: grid.researcher.token,
      type: 'application/x-ndjson',
      ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
    });
  const uploadWhole = (job: string, body: string, key?: string) =>
    sendRaw(grid.coordinator.url, {
      method: 'POST',
      path: API.workUnits(job),
      token: grid.researcher.token,
      type: 'application/x-ndjson',
      body,
      ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
    });

  it('adds all 5,000 lines of an upload during which `project list` ran, in another process and in this one', async () => {
    const job = await grid.researcher.createSquareJob();
    const request = upload(job);
    await request.write(squareLines(0, 2000));
    // Two chunks of 1,000 are staged, not yet visible: what the operator's store open used to delete.
    await expect.poll(staged, { timeout: 30_000 }).toBe(2000);

    const listed = await operatorCommand(grid.dir, ['project', 'list', '--url', grid.coordinator.url]);
    expect(listed, listed.stderr).toMatchObject({ code: 0 });
    expect(listed.stdout).toContain(grid.project);
    const operator = await openStore(grid.dir, DEFAULT_CONFIG, Math.random, { databaseUrl: grid.db.databaseUrl });
    expect((await operator.listProjects()).map((p) => p.id)).toEqual([grid.project]);
    await operator.close();
    expect(await staged()).toBe(2000);

    await request.write(squareLines(2000, 3000));
    const reply = await request.end();
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ added: 5000 });
    expect(await visible(job)).toBe(5000);
    expect(await staged()).toBe(0);
  });

  it('refuses, with a 409 and nothing added, an upload whose staged rows vanished before it committed', async () => {
    const job = await grid.researcher.createSquareJob({ name: 'vanishing' });
    const request = upload(job);
    await request.write(squareLines(10_000, 2000));
    await expect.poll(staged, { timeout: 30_000 }).toBe(2000);
    // What any cleanup that does not know this upload would do (an earlier release's store open did).
    await grid.db.execute(
      "DELETE FROM work_units WHERE id IN (SELECT id FROM work_units WHERE state = 'staged' LIMIT 500)",
    );

    await request.write(squareLines(12_000, 1000));
    const reply = await request.end();
    expect(reply.status, reply.text).toBe(409);
    const body = ErrorBody.parse(JSON.parse(reply.text));
    expect(body.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/2500 of the 3000/) });
    expect(await visible(job)).toBe(0);
    expect(await staged()).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM staged_blobs')).toBe(0);
  });

  it('answers the retry of a committed upload with the same Idempotency-Key with its summary, adding nothing', async () => {
    const job = await grid.researcher.createSquareJob({ name: 'idempotent' });
    const body = squareLines(20_000, 30);
    const first = await uploadWhole(job, body, 'batch-2026-01');
    expect(first.status, first.text).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ added: 30 });
    // The reply was lost, say, and the researcher sends the same request again.
    const retry = await uploadWhole(job, body, 'batch-2026-01');
    expect(retry.status, retry.text).toBe(200);
    expect(retry.text).toBe(first.text);
    expect([first.headers['idempotent-replayed'], retry.headers['idempotent-replayed']]).toEqual([undefined, 'true']);
    expect(await visible(job)).toBe(30);

    // The key names that batch: a different body under it is refused, and nothing is added.
    const other = await uploadWhole(job, squareLines(20_100, 5), 'batch-2026-01');
    expect(other.status, other.text).toBe(409);
    expect(ErrorBody.parse(JSON.parse(other.text)).error.code).toBe('conflict');
    expect(await visible(job)).toBe(30);
    // Keys are per job, and a request without one is never deduplicated.
    const elsewhere = await grid.researcher.createSquareJob({ name: 'elsewhere' });
    expect((await uploadWhole(elsewhere, body, 'batch-2026-01')).status).toBe(200);
    expect(await visible(elsewhere)).toBe(30);
    expect((await uploadWhole(elsewhere, body)).status).toBe(200);
    expect(await visible(elsewhere)).toBe(60);
  });

  it('commits one of two concurrent uploads under one key, and answers the other with its summary', async () => {
    const job = await grid.researcher.createSquareJob({ name: 'concurrent' });
    const a = upload(job, 'same');
    const b = upload(job, 'same');
    await a.write(squareLines(30_000, 1500));
    await b.write(squareLines(30_000, 1500));
    await expect.poll(staged, { timeout: 30_000 }).toBe(2000);
    const first = await a.end();
    const second = await b.end();
    expect([first.status, second.status], first.text + second.text).toEqual([200, 200]);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await visible(job)).toBe(1500);
    expect(await staged()).toBe(0);
  });

  it('refuses a malformed Idempotency-Key, and documents the header', async () => {
    const job = await grid.researcher.createSquareJob({ name: 'bad keys' });
    for (const key of ['x'.repeat(201), 'two words', '\u00e9t\u00e9'])
      expect((await uploadWhole(job, squareLines(40_000, 1), key)).status, key).toBe(400);
    expect(await visible(job)).toBe(0);
    const doc = (await (await fetch(grid.coordinator.url + API.openapi)).json()) as {
      paths: Record<string, { post?: { parameters?: { in: string; name: string }[] } }>;
    };
    const parameters = doc.paths['/v1/jobs/{job}/workunits']?.post?.parameters ?? [];
    expect(parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key' }));
  });
});
