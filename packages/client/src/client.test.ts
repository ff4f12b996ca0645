// createClient against answers a coordinator should never give, served on loopback: a download cut mid-line,
// an answer that does not match the API, a server error body, a coordinator that is not there.
import type { JobId } from '@bricolage/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client';
import { collect as all, Loopback, resultLine } from './testing/loopback';

const JOB = 'job_0123456789abcdef' as JobId;
const LINE = resultLine(1);

const loopback = new Loopback();
afterEach(() => loopback.close());
const serve = (respond: Parameters<Loopback['serve']>[0]) => loopback.serve(respond);

describe('createClient', () => {
  it('ends a results download cut mid-line with a network error after the whole lines', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${LINE}\n${LINE.slice(0, 30)}`);
      // The connection dies with the response unfinished (chunked, no final chunk).
      setImmediate(() => res.socket?.destroy());
    });
    const items = await all(createClient({ url, token: 't' }).results(JOB));
    expect(items.map((i) => i.type)).toEqual(['result', 'error']);
    expect(items[0]).toMatchObject({ line: { cursor: 1, tag: 'a' }, text: LINE });
    expect(items[1]).toMatchObject({ error: { code: 'network' } });
  });

  it('asks for the results after a cursor', async () => {
    let asked = '';
    const url = await serve((req, res) => {
      asked = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end('');
    });
    expect(await all(createClient({ url, token: 't' }).results(JOB, { after: 41 }))).toEqual([]);
    expect(asked).toBe(`/v1/jobs/${JOB}/results?after=41`);
  });

  it('says bad_response for an answer that does not match the API, and keeps a server error as it is', async () => {
    const url = await serve((req, res) => {
      res.writeHead(req.url === '/v1/projects/mine' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(
        req.url === '/v1/projects/mine'
          ? JSON.stringify({ id: 'x' })
          : JSON.stringify({ error: { code: 'not_found', message: `no job ${JOB} in this project` } }),
      );
    });
    const client = createClient({ url, token: 't' });
    expect(await client.myProject()).toMatchObject({ ok: false, error: { code: 'bad_response' } });
    expect(await client.getJob(JOB)).toEqual({
      ok: false,
      error: { code: 'not_found', message: `no job ${JOB} in this project`, status: 404 },
    });
  });

  it('says network when nothing listens, and aborted when the caller aborts', async () => {
    const url = await serve((_req, res) => res.end());
    await loopback.close();
    expect(await createClient({ url, token: 't' }).listJobs()).toMatchObject({ ok: false, error: { code: 'network' } });
    const aborted = new AbortController();
    aborted.abort();
    expect(await createClient({ url, token: 't' }).listJobs({ signal: aborted.signal })).toMatchObject({
      ok: false,
      error: { code: 'aborted' },
    });
  });

  it('sends the project token and the Idempotency-Key of a batch', async () => {
    let headers: Record<string, string | string[] | undefined> = {};
    const url = await serve((req, res) => {
      headers = req.headers;
      res.writeHead(200, { 'content-type': 'application/json', 'idempotent-replayed': 'true' });
      res.end(JSON.stringify({ job: JOB, added: 2, knownAnswer: 0, firstWorkUnit: 'wu_1', lastWorkUnit: 'wu_2' }));
    });
    const added = await createClient({ url, token: 'brk_x' }).addWorkUnits(JOB, '{}\n{}\n', { idempotencyKey: 'u.3' });
    expect(added).toMatchObject({ ok: true, value: { added: 2, replayed: true } });
    expect(headers).toMatchObject({
      authorization: 'Bearer brk_x',
      'idempotency-key': 'u.3',
      'content-type': 'application/x-ndjson',
    });
  });
});
