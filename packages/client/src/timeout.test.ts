// The client gives up on a coordinator that has gone quiet — before its answer, or in the middle of it — and on
// nothing else: not a long answer that keeps coming, not a slow reader, not a 429's wait, not a large upload.
import type { JobId } from '@bricolage/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client';
import type { Fetch } from './retry';
import { collect as all, Loopback, resultLine } from './testing/loopback';
import { CoordinatorQuiet, either, quietLimited, UPLOAD_FLOOR_BYTES_PER_S } from './timeout';

const JOB = 'job_0123456789abcdef' as JobId;
const line = resultLine;
const JOBS = JSON.stringify({ jobs: [] });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const loopback = new Loopback();
afterEach(() => loopback.close());
const serve = (respond: Parameters<Loopback['serve']>[0]) => loopback.serve(respond);
describe('a client with a timeout', () => {
  it('gives up on a coordinator that takes the request and never answers, as a timeout', async () => {
    const url = await serve(() => undefined);
    const started = performance.now();
    const listed = await createClient({ url, token: 't', timeoutMs: 200 }).listJobs();
    const waited = performance.now() - started;
    expect(listed).toEqual({
      ok: false,
      error: { code: 'timeout', message: 'the coordinator sent nothing for 0.2 s (waiting for its answer)' },
    });
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(5000);
  });

  it('gives up on a download that stops in the middle, after the lines that came', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${line(1)}\n`);
    });
    const items = await all(createClient({ url, token: 't', timeoutMs: 200 }).results(JOB));
    expect(items.map((i) => i.type)).toEqual(['result', 'error']);
    expect(items[1]).toEqual({
      type: 'error',
      error: { code: 'timeout', message: 'the coordinator sent nothing for 0.2 s (in the middle of its answer)' },
    });
  });

  it('never cuts an answer that keeps coming, however long it takes in all', async () => {
    const url = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (let c = 1; c <= 8; c++) {
        res.write(`${line(c)}\n`);
        await sleep(100);
      }
      res.end();
    });
    const items = await all(createClient({ url, token: 't', timeoutMs: 300 }).results(JOB));
    expect(items.map((i) => (i.type === 'result' ? i.line.cursor : i.error.message))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('does not take a slow reader for a quiet coordinator', async () => {
    // The second line comes 250 ms after the first; the reader asks for it 300 ms after the first. Read ahead of
    // the reader, the wait would have started at the first line and run out at 200 ms.
    const url = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${line(1)}\n`);
      await sleep(250);
      res.end(`${line(2)}\n`);
    });
    const items = await all(createClient({ url, token: 't', timeoutMs: 200 }).results(JOB), 300);
    expect(items.map((i) => i.type)).toEqual(['result', 'result']);
  });

  it("does not count a 429's wait as the coordinator's silence", async () => {
    let asked = 0;
    const url = await serve((_req, res) => {
      if (++asked === 1) {
        res.writeHead(429, { 'retry-after': '1' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JOBS);
    });
    const client = createClient({ url, token: 't', timeoutMs: 200, retry: { sleep: () => sleep(400) } });
    expect(await client.listJobs()).toEqual({ ok: true, value: [] });
    expect(asked).toBe(2);
  });

  it('still says aborted when the caller aborts while it waits', async () => {
    const url = await serve(() => undefined);
    const caller = new AbortController();
    setTimeout(() => caller.abort(), 50);
    const listed = await createClient({ url, token: 't', timeoutMs: 5000 }).listJobs({ signal: caller.signal });
    expect(listed).toMatchObject({ ok: false, error: { code: 'aborted' } });
  });
});

describe('quietLimited', () => {
  /** A transport whose answer begins `ms` after the request, unless the request is aborted first. */
  const answeringAfter =
    (ms: number): Fetch =>
    (request) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(new Response('ok')), ms);
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(request.signal.reason);
        });
      });

  it("waits longer for the answer to a large upload: the body's time at the upload floor", async () => {
    const request = () => new Request('http://x/', { method: 'PUT', body: 'b' });
    await expect(quietLimited(answeringAfter(300), 100)(request())).rejects.toBeInstanceOf(CoordinatorQuiet);
    // 64 KiB at the floor is one second more.
    const answer = await quietLimited(answeringAfter(300), 100, { bodyBytes: UPLOAD_FLOOR_BYTES_PER_S })(request());
    expect(await answer.text()).toBe('ok');
  });

  it('with no limit, or one longer than a timer can wait (it would fire at once), is the transport itself', () => {
    const transport = answeringAfter(0);
    expect(quietLimited(transport, 0)).toBe(transport);
    expect(quietLimited(transport, Number.POSITIVE_INFINITY)).toBe(transport);
    expect(quietLimited(transport, 3_600_000_000)).toBe(transport);
  });

  it('says the wait it gave an upload, body time included', async () => {
    const request = new Request('http://x/', { method: 'PUT', body: 'b' });
    const failed = quietLimited(answeringAfter(5000), 100, { bodyBytes: UPLOAD_FLOOR_BYTES_PER_S / 10 })(request);
    await expect(failed).rejects.toThrow('the coordinator sent nothing for 0.2 s (waiting for its answer)');
  });

  it('waits between pieces as long as it is told: an event stream quiet between its keep-alives is not cut', async () => {
    const url = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      await sleep(250);
      res.end(': keep-alive\n\n');
    });
    const fetch = quietLimited((r) => globalThis.fetch(r), 100, { betweenPiecesMs: 400 });
    expect(await (await fetch(new Request(url))).text()).toBe(': hello\n\n: keep-alive\n\n');
  });

  it('reports a quiet coordinator as such, though the transport said only AbortError', async () => {
    const abortOnly: Fetch = (request) =>
      new Promise((_, reject) =>
        request.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    await expect(quietLimited(abortOnly, 50)(new Request('http://x/'))).rejects.toBeInstanceOf(CoordinatorQuiet);
  });

  it('combines the two signals without AbortSignal.any too (browsers before 2024)', async () => {
    const any = AbortSignal.any;
    try {
      (AbortSignal as { any?: unknown }).any = undefined;
      const caller = new AbortController();
      const quiet = new AbortController();
      const combined = either(caller.signal, quiet.signal);
      expect(combined.aborted).toBe(false);
      quiet.abort(new CoordinatorQuiet('x'));
      expect(combined.reason).toBeInstanceOf(CoordinatorQuiet);
      const already = new AbortController();
      already.abort('gone');
      expect(either(already.signal, new AbortController().signal).reason).toBe('gone');
    } finally {
      AbortSignal.any = any;
    }
  });
});
