// Blobs over loopback HTTP: streamed uploads that leave nothing behind when refused, ranges, conditional
// requests, the cap on concurrent large downloads, and blobs an older data directory keeps in SQLite.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinatorConfig } from '../config';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher, SQUARE_WGSL, squareJob } from '../testing/fixtures';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** Byte equality without vitest's element-by-element diff, which takes seconds on megabytes. */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/** Deterministic bytes that differ from one offset to the next. */
function bytesOf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `bytes` as a request body sent in 64 KiB pieces with no Content-Length (chunked). */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 65536));
      at += 65536;
    },
  });
}

/** Every file under the blob directory (uploads in progress under tmp/ included). */
function blobFiles(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'blobs'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const CONFIG: Partial<CoordinatorConfig> = {
  maxBlobBytes: 40 * 1024 * 1024,
  blobFileThreshold: 64 * 1024,
  largeResponseBytes: 64 * 1024,
  maxLargeResponses: 2,
  // The downloads held open below must outlast any stall of a loaded machine.
  idleTimeoutMs: 600_000,
};

describe('blobs', () => {
  let dir: string;
  let coordinator: Coordinator;
  let researcher: Researcher;
  const put = (hash: string, body: BodyInit) =>
    fetch(coordinator.url + API.blob(hash), {
      method: 'PUT',
      headers: { authorization: `Bearer ${researcher.token}`, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
  const get = (hash: string, headers: Record<string, string> = {}) =>
    fetch(coordinator.url + API.blob(hash), { headers });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-blobs-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0, config: CONFIG, log: () => undefined });
    const { token } = await coordinator.createProject('blobs');
    researcher = new Researcher(coordinator.url, token);
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('upload', () => {
    it('stores a streamed body under its hash, once, and says how big it is', async () => {
      const bytes = bytesOf(3 * 1024 * 1024, 2);
      const hash = sha256(bytes);
      const res = await put(hash, chunked(bytes));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ hash, size: bytes.length });
      expect((await put(hash, chunked(bytes))).status).toBe(200);
      expect(blobFiles(dir)).toEqual([join(dir, 'blobs', hash.slice(0, 2), hash.slice(2))]);
      expect(same(new Uint8Array(await (await get(hash)).arrayBuffer()), bytes)).toBe(true);
    });

    it('refuses a streamed body that does not hash to its name, and leaves no file behind', async () => {
      const before = blobFiles(dir);
      const bytes = bytesOf(3 * 1024 * 1024, 3);
      const claimed = sha256(bytesOf(10, 4));
      const res = await put(claimed, chunked(bytes));
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('hash_mismatch');
      expect(blobFiles(dir)).toEqual(before);
      expect((await get(claimed)).status).toBe(404);
    });

    it('refuses a streamed body over the cap without a Content-Length, and leaves no file behind', async () => {
      const before = blobFiles(dir);
      const bytes = new Uint8Array(40 * 1024 * 1024 + 1);
      const res = await put(sha256(bytes), chunked(bytes));
      expect(res.status).toBe(413);
      expect(blobFiles(dir)).toEqual(before);
    });

    it('leaves no file behind when the client hangs up mid-upload', async () => {
      const before = blobFiles(dir);
      const bytes = bytesOf(2 * 1024 * 1024, 6);
      await new Promise<void>((resolve) => {
        const req = request(coordinator.url + API.blob(sha256(bytes)), {
          method: 'PUT',
          headers: { authorization: `Bearer ${researcher.token}`, 'content-length': String(bytes.length) },
        });
        req.on('error', () => resolve());
        req.write(bytes.subarray(0, 1024 * 1024), () => {
          req.destroy();
          resolve();
        });
      });
      await expect.poll(() => blobFiles(dir)).toEqual(before);
    });
  });

  describe('download', () => {
    const bytes = bytesOf(200_000, 7);
    const hash = sha256(bytes);
    const body = async (res: Response) => new Uint8Array(await res.arrayBuffer());

    beforeAll(async () => {
      expect((await put(hash, bytes as Uint8Array<ArrayBuffer>)).status).toBe(200);
    });

    it('sends the whole blob with its ETag, length and Accept-Ranges', async () => {
      const res = await get(hash);
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe(`"${hash}"`);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(same(await body(res), bytes)).toBe(true);
    });

    it('sends one byte range as 206 with its Content-Range', async () => {
      const cases: [string, number, number][] = [
        ['bytes=0-99', 0, 99],
        ['bytes=199990-', 199_990, 199_999],
        ['bytes=-25', 199_975, 199_999],
        ['bytes=100000-999999', 100_000, 199_999],
      ];
      for (const [range, start, end] of cases) {
        const res = await get(hash, { range });
        expect(res.status, range).toBe(206);
        expect(res.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${bytes.length}`);
        expect(res.headers.get('content-length'), range).toBe(String(end - start + 1));
        expect(same(await body(res), bytes.subarray(start, end + 1)), range).toBe(true);
      }
    });

    it('answers 416 with the size when no byte of the range exists', async () => {
      const res = await get(hash, { range: 'bytes=200000-' });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');
    });

    it('sends the whole blob for several ranges, or a range under a stale If-Range', async () => {
      const cases: Record<string, string>[] = [
        { range: 'bytes=0-1,5-6' },
        { range: 'bytes=0-1', 'if-range': '"stale"' },
      ];
      for (const headers of cases) {
        const res = await get(hash, headers);
        expect(res.status).toBe(200);
        expect(same(await body(res), bytes)).toBe(true);
      }
    });

    it('answers 304 to If-None-Match with its ETag', async () => {
      const res = await get(hash, { 'if-none-match': `"${hash}"` });
      expect(res.status).toBe(304);
      expect(res.headers.get('etag')).toBe(`"${hash}"`);
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    });

    it('answers HEAD with the headers alone and holds no download slot', async () => {
      const res = await fetch(coordinator.url + API.blob(hash), { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(coordinator.deps.largeResponses.inUse).toBe(0);
    });
  });

  describe('concurrent large downloads', () => {
    it('refuses one over the cap with 429 and Retry-After, and serves again once one ends', async () => {
      // Big enough that a client that stops reading leaves the server's stream waiting on the socket.
      const bytes = bytesOf(32 * 1024 * 1024, 8);
      const hash = sha256(bytes);
      expect((await put(hash, chunked(bytes))).status).toBe(200);
      const held: IncomingMessage[] = [];
      for (let i = 0; i < 2; i++)
        held.push(
          await new Promise<IncomingMessage>((resolve, reject) => {
            const req = request(coordinator.url + API.blob(hash), { agent: false }, (res) => {
              res.pause();
              resolve(res);
            });
            req.on('error', reject);
            req.end();
          }),
        );
      expect(held.map((r) => r.statusCode)).toEqual([200, 200]);
      const refused = await get(hash);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      // Small responses are not counted.
      expect((await get(hash, { range: 'bytes=0-99' })).status).toBe(206);
      held[0]?.destroy();
      await expect.poll(() => coordinator.deps.largeResponses.inUse).toBe(1);
      const again = await get(hash);
      expect(again.status).toBe(200);
      expect(sha256(new Uint8Array(await again.arrayBuffer()))).toBe(hash);
      held[1]?.destroy();
      await expect.poll(() => coordinator.deps.largeResponses.inUse).toBe(0);
    });
  });

  describe('blobs kept in SQLite by an older data directory', () => {
    const large = bytesOf(300_000, 9);
    const small = bytesOf(1000, 10);
    // A kernel an older release stored in SQLite: real WGSL (job admission parses it), not in the blob store.
    const kernel = new TextEncoder().encode(`${SQUARE_WGSL}\n// kept in SQLite\n`);

    beforeAll(() => {
      const db = new Database(join(dir, 'bricolage.sqlite'));
      try {
        const insert = db.prepare('INSERT INTO blobs (hash, bytes) VALUES (?, ?)');
        insert.run(sha256(large), large);
        insert.run(sha256(small), small);
        insert.run(sha256(kernel), kernel);
      } finally {
        db.close();
      }
    });

    it('serves them, with ranges', async () => {
      for (const bytes of [small, large]) {
        const hash = sha256(bytes);
        expect(same(new Uint8Array(await (await get(hash)).arrayBuffer()), bytes)).toBe(true);
        const part = await get(hash, { range: 'bytes=10-19' });
        expect(part.status).toBe(206);
        expect(same(new Uint8Array(await part.arrayBuffer()), bytes.subarray(10, 20))).toBe(true);
      }
    });

    it('moves one above the threshold into the blob store, and leaves a small one where it is', async () => {
      const files = blobFiles(dir);
      expect(files).toContain(join(dir, 'blobs', sha256(large).slice(0, 2), sha256(large).slice(2)));
      expect(files.some((f) => f.endsWith(sha256(small).slice(2)))).toBe(false);
    });

    it('counts them as uploaded when a job names them, and admits the kernel they hold', async () => {
      const shader = sha256(kernel);
      const res = await researcher.request(
        'POST',
        API.jobs,
        JSON.stringify(squareJob({ spec: { ...squareJob().spec, shader } as never })),
      );
      expect(res.status).toBe(200);
    });
  });
});
