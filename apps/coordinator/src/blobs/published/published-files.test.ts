import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type BlobHash } from '@bricolage/protocol';
import { BLOB_CHUNK_BYTES, BlobManifest, OrtWasmFiles } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { manifestOf } from '../../peers/manifests';
import { startCoordinator } from '../../server';
import { ortWasmFiles } from './published-files';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytesOf = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** A built page as Vite lays it out: onnxruntime's .wasm files under assets/, named with the bundler's hash. */
function builtPage(files: Record<string, Uint8Array>): string {
  const root = mkdtempSync(join(tmpdir(), 'bricolage-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(root, 'assets', name), bytes);
  return root;
}

describe("onnxruntime's .wasm files", () => {
  it('are found among the built assets by the name onnxruntime asks for, and hashed', async () => {
    const plain = bytesOf(1000, 1);
    const asyncify = bytesOf(2000, 2);
    const root = builtPage({
      'ort-wasm-simd-threaded-DcHrbrbl.wasm': plain,
      'ort-wasm-simd-threaded.asyncify-D5-0fo7z.wasm': asyncify,
      'worker-FPeH6Jnw.js': bytesOf(10, 3),
      'mandelbrot-AbCdEfGh.wasm': bytesOf(10, 4),
    });
    try {
      const found = await ortWasmFiles(root);
      expect(found.map(({ name, hash, size }) => ({ name, hash, size }))).toEqual([
        { name: 'ort-wasm-simd-threaded.wasm', hash: sha(plain), size: 1000 },
        { name: 'ort-wasm-simd-threaded.asyncify.wasm', hash: sha(asyncify), size: 2000 },
      ]);
      expect(await ortWasmFiles(join(root, 'missing'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('are published as blobs, with their chunk manifests, read where they lie', async () => {
    const wasm = bytesOf(2 * BLOB_CHUNK_BYTES + 3, 5);
    const webRoot = builtPage({ 'ort-wasm-simd-threaded-DcHrbrbl.wasm': wasm });
    const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-ort-'));
    const coordinator = await startCoordinator({ dataDir, webRoot, log: () => undefined });
    try {
      const listed = OrtWasmFiles.parse(await (await fetch(coordinator.url + API.ortWasm)).json());
      expect(listed.files).toEqual([{ name: 'ort-wasm-simd-threaded.wasm', hash: sha(wasm), size: wasm.length }]);
      const blob = await fetch(coordinator.url + API.blob(sha(wasm)));
      expect(blob.status).toBe(200);
      expect(new Uint8Array(await blob.arrayBuffer())).toEqual(wasm);
      const manifest = BlobManifest.parse(await (await fetch(coordinator.url + API.blobManifest(sha(wasm)))).json());
      expect(manifest).toEqual(manifestOf(sha(wasm) as BlobHash, wasm));
      expect(await coordinator.deps.blobs.size(sha(wasm))).toBe(wasm.length);
      // Not copied into the data directory's blob store.
      expect(readdirSync(join(dataDir, 'blobs')).filter((d) => d !== 'tmp')).toEqual([]);
      // A researcher's blob is still served from the store beside them.
      const other = bytesOf(100, 6);
      expect((await coordinator.deps.blobs.put(sha(other), new Response(other).body!, 1000)).ok).toBe(true);
      expect(new Uint8Array(await (await fetch(coordinator.url + API.blob(sha(other)))).arrayBuffer())).toEqual(other);
    } finally {
      await coordinator.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(webRoot, { recursive: true, force: true });
    }
  });

  it('are none when the coordinator serves no page', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-ort-'));
    const coordinator = await startCoordinator({ dataDir, log: () => undefined });
    try {
      const reply = await fetch(coordinator.url + API.ortWasm);
      expect(OrtWasmFiles.parse(await reply.json())).toEqual({ files: [] });
    } finally {
      await coordinator.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
