// Files of the coordinator's own build that volunteers fetch like job assets — onnxruntime-web's .wasm files,
// the largest download of a volunteer — published under their SHA-256 in front of the blob store, so that
// `GET /v1/blobs/{hash}` and its chunk manifest serve them and peers can pass them on, verified, like any blob.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Result } from '@bricolage/protocol';
import type { BlobHandle, BlobStore } from '../blob-store';
import { fileHandle } from '../files/file-blob-store';

export interface PublishedFile {
  /** The name its user asks for (onnxruntime: `ort-wasm-simd-threaded.wasm`). */
  readonly name: string;
  readonly hash: string;
  readonly size: number;
  readonly path: string;
}

/**
 * Vite emits onnxruntime's `ort-wasm-simd-threaded.wasm` as `assets/ort-wasm-simd-threaded-<8 characters>.wasm`;
 * the name onnxruntime asks for is the emitted one without the bundler's hash.
 */
const EMITTED_ORT_WASM = /^(ort-wasm[\w.-]*)-[\w-]{8}\.wasm$/;

/** The onnxruntime .wasm files among the page's built assets (none when the page is not built), hashed. */
export async function ortWasmFiles(webRoot: string): Promise<PublishedFile[]> {
  const assets = join(webRoot, 'assets');
  let names: string[];
  try {
    names = await readdir(assets);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const files: PublishedFile[] = [];
  for (const emitted of names.sort()) {
    const match = EMITTED_ORT_WASM.exec(emitted);
    if (!match) continue;
    const path = join(assets, emitted);
    files.push({ name: `${match[1]}.wasm`, path, ...(await hashFile(path)) });
  }
  return files;
}

async function hashFile(path: string): Promise<{ hash: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hash: hash.digest('hex'), size };
}

/** A blob store that also serves the published files, read where they lie (never copied into the store). */
export class WithPublishedFiles implements BlobStore {
  readonly #inner: BlobStore;
  readonly #files: ReadonlyMap<string, PublishedFile>;

  constructor(inner: BlobStore, files: readonly PublishedFile[]) {
    this.#inner = inner;
    this.#files = new Map(files.map((f) => [f.hash, f]));
  }

  size(hash: string): Promise<number | null> {
    const file = this.#files.get(hash);
    return file ? Promise.resolve(file.size) : this.#inner.size(hash);
  }

  async open(hash: string): Promise<BlobHandle | null> {
    const file = this.#files.get(hash);
    if (!file) return this.#inner.open(hash);
    const fh = await open(file.path, 'r');
    // Hashed at startup; a file rebuilt since is not this blob (and a volunteer checks every blob's hash anyway).
    const { size } = await fh.stat();
    if (size !== file.size) {
      await fh.close();
      return null;
    }
    return fileHandle(hash, fh, size);
  }

  put(hash: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Result<{ size: number }>> {
    return this.#inner.put(hash, body, maxBytes);
  }
}
