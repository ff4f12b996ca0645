import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBlobStore } from './file-blob-store';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'bricolage-fileblobs-'));
  dirs.push(d);
  return d;
};
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const streamOf = (...parts: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(p);
      c.close();
    },
  });
async function read(s: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of s as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  return Buffer.concat(parts);
}

describe('FileBlobStore', () => {
  it('stores a blob under ab/cdef… and reads any range of it back', async () => {
    const root = fresh();
    const store = new FileBlobStore(root);
    const bytes = new Uint8Array(600_000).map((_, i) => (i * 7) & 0xff);
    const hash = sha256(bytes);
    expect(await store.put(hash, streamOf(bytes.subarray(0, 1000), bytes.subarray(1000)), 1 << 20)).toEqual({
      ok: true,
      value: { size: bytes.length },
    });
    expect(readdirSync(join(root, hash.slice(0, 2)))).toEqual([hash.slice(2)]);
    expect(await store.size(hash)).toBe(bytes.length);
    const handle = await store.open(hash);
    let closed = 0;
    const part = await read(handle!.stream(299_990, 300_009, () => closed++));
    expect(part.equals(bytes.subarray(299_990, 300_010))).toBe(true);
    expect(closed).toBe(1);
  });

  it('answers null for a blob it does not have', async () => {
    const store = new FileBlobStore(fresh());
    expect(await store.size('a'.repeat(64))).toBeNull();
    expect(await store.open('a'.repeat(64))).toBeNull();
  });

  it('runs onClose once when a reader cancels', async () => {
    const store = new FileBlobStore(fresh());
    const bytes = new Uint8Array(1 << 20);
    const hash = sha256(bytes);
    await store.put(hash, streamOf(bytes), 1 << 21);
    let closed = 0;
    const stream = (await store.open(hash))!.stream(0, bytes.length - 1, () => closed++);
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    expect(closed).toBe(1);
  });

  it('lets two uploads of one blob race, and keeps one whole copy', async () => {
    const root = fresh();
    const store = new FileBlobStore(root);
    const bytes = new Uint8Array(300_000).fill(3);
    const hash = sha256(bytes);
    const results = await Promise.all([
      store.put(hash, streamOf(bytes), 1 << 20),
      store.put(hash, streamOf(bytes), 1 << 20),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect((await read((await store.open(hash))!.stream(0, bytes.length - 1))).equals(bytes)).toBe(true);
  });

  it('clears uploads a crash left in tmp/ a day ago, and leaves younger ones to whoever is writing them', () => {
    const root = fresh();
    mkdirSync(join(root, 'tmp'), { recursive: true });
    const now = Date.now();
    writeFileSync(join(root, 'tmp', 'old'), 'x');
    utimesSync(join(root, 'tmp', 'old'), new Date(now - 25 * 3600_000), new Date(now - 25 * 3600_000));
    writeFileSync(join(root, 'tmp', 'young'), 'x');
    new FileBlobStore(root, now);
    expect(readdirSync(join(root, 'tmp'))).toEqual(['young']);
  });
});
