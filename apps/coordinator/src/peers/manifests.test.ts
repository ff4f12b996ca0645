import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type BlobHash } from '@bricolage/protocol';
import { BLOB_CHUNK_BYTES, BlobManifest } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { startCoordinator } from '../server';
import { ManifestCache, manifestOf, manifestOfStream } from './manifests';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytesOf = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('chunk manifests', () => {
  it('hash each 64 KiB chunk, the last one short', () => {
    const bytes = bytesOf(2 * BLOB_CHUNK_BYTES + 5, 1);
    const m = manifestOf(sha(bytes) as BlobHash, bytes);
    expect(m.size).toBe(bytes.length);
    expect(m.chunks).toEqual([
      sha(bytes.subarray(0, BLOB_CHUNK_BYTES)),
      sha(bytes.subarray(BLOB_CHUNK_BYTES, 2 * BLOB_CHUNK_BYTES)),
      sha(bytes.subarray(2 * BLOB_CHUNK_BYTES)),
    ]);
    expect(manifestOf(sha(new Uint8Array()) as BlobHash, new Uint8Array()).chunks).toEqual([]);
  });

  it('come out the same from a stream cut at any boundary', async () => {
    const bytes = bytesOf(2 * BLOB_CHUNK_BYTES + 7, 6);
    const hash = sha(bytes) as BlobHash;
    for (const piece of [1000, BLOB_CHUNK_BYTES, BLOB_CHUNK_BYTES + 1, bytes.length]) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += piece) controller.enqueue(bytes.slice(at, at + piece));
          controller.close();
        },
      });
      expect(await manifestOfStream(hash, stream)).toEqual(manifestOf(hash, bytes));
    }
  });

  it('are computed once per blob and kept within a budget of chunk hashes', async () => {
    const cache = new ManifestCache(3);
    let loads = 0;
    const load = (bytes: Uint8Array) => async () => {
      loads++;
      return manifestOf(sha(bytes) as BlobHash, bytes);
    };
    const two = bytesOf(2 * BLOB_CHUNK_BYTES, 2);
    const one = bytesOf(10, 3);
    await cache.get(sha(two) as BlobHash, load(two));
    await cache.get(sha(two) as BlobHash, load(two));
    expect(loads).toBe(1);
    await cache.get(sha(one) as BlobHash, load(one));
    // 2 + 1 chunks fit; another 2 push the least recently used out.
    const other = bytesOf(2 * BLOB_CHUNK_BYTES, 4);
    await cache.get(sha(other) as BlobHash, load(other));
    await cache.get(sha(two) as BlobHash, load(two));
    expect(loads).toBe(4);
    expect(await cache.get('ab'.repeat(32) as BlobHash, async () => null)).toBeNull();
  });

  it('are computed once for requests that arrive together, and counted once against the budget', async () => {
    const cache = new ManifestCache(3);
    const two = bytesOf(2 * BLOB_CHUNK_BYTES, 7);
    let computes = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const compute = async () => {
      computes++;
      await gate;
      return manifestOf(sha(two) as BlobHash, two);
    };
    const together = Array.from({ length: 8 }, () => cache.get(sha(two) as BlobHash, compute));
    release();
    for (const m of await Promise.all(together)) expect(m?.chunks).toHaveLength(2);
    expect(computes).toBe(1);
    // Counted once: a one-chunk manifest still fits beside it (2 + 1 of 3), so the first is not pushed out.
    const one = bytesOf(10, 8);
    await cache.get(sha(one) as BlobHash, async () => manifestOf(sha(one) as BlobHash, one));
    await cache.get(sha(two) as BlobHash, compute);
    expect(computes).toBe(1);
  });

  it('are served at /v1/blobs/{hash}/manifest, and refused for an unknown or malformed hash', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-manifest-'));
    const coordinator = await startCoordinator({ dataDir, log: () => undefined });
    try {
      const bytes = bytesOf(3 * BLOB_CHUNK_BYTES + 1, 5);
      // An asset as a researcher's PUT stores it: in the blob store (files), not in SQLite.
      const stored = await coordinator.deps.blobs.put(sha(bytes), new Response(bytes).body!, Number.POSITIVE_INFINITY);
      expect(stored.ok).toBe(true);
      const reply = await fetch(coordinator.url + API.blobManifest(sha(bytes)));
      expect(reply.status).toBe(200);
      expect(reply.headers.get('cache-control')).toContain('immutable');
      const manifest = BlobManifest.parse(await reply.json());
      expect(manifest).toEqual(manifestOf(sha(bytes) as BlobHash, bytes));
      const unknown = await fetch(coordinator.url + API.blobManifest('cd'.repeat(32)));
      expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([
        404,
        'not_found',
      ]);
      expect((await fetch(coordinator.url + API.blobManifest('nope'))).status).toBe(400);
    } finally {
      await coordinator.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
