// Chunk manifests of blobs: the SHA-256 of each chunk, so that a volunteer fetching a blob from peers checks
// every chunk as it arrives and knows which peer sent a wrong one. Blobs are immutable, so a manifest is
// computed once and kept (bounded by the number of chunk hashes held).
import { BLOB_CHUNK_BYTES, type BlobManifest } from '@bricolage/protocol/peer';
import type { BlobHash } from '@bricolage/protocol';
import { createHash, type Hash } from 'node:crypto';
import { sha256Hex } from '../hash';

export function manifestOf(hash: BlobHash, bytes: Uint8Array, chunkSize = BLOB_CHUNK_BYTES): BlobManifest {
  const chunks: string[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(sha256Hex(bytes.subarray(at, at + chunkSize)));
  return { hash, size: bytes.length, chunkSize, chunks };
}

/** The same manifest from a stream, holding one chunk's hash state at a time (assets can be larger than memory allows). */
export async function manifestOfStream(
  hash: BlobHash,
  body: ReadableStream<Uint8Array>,
  chunkSize = BLOB_CHUNK_BYTES,
): Promise<BlobManifest> {
  const chunks: string[] = [];
  let size = 0;
  let current: Hash | null = null;
  let filled = 0;
  for await (const piece of body) {
    let at = 0;
    while (at < piece.length) {
      current ??= createHash('sha256');
      const take = Math.min(chunkSize - filled, piece.length - at);
      current.update(piece.subarray(at, at + take));
      at += take;
      filled += take;
      if (filled === chunkSize) {
        chunks.push(current.digest('hex'));
        current = null;
        filled = 0;
      }
    }
    size += piece.length;
  }
  if (current) chunks.push(current.digest('hex'));
  return { hash, size, chunkSize, chunks };
}

export class ManifestCache {
  readonly #entries = new Map<string, BlobManifest>();
  readonly #computing = new Map<string, Promise<BlobManifest | null>>();
  #chunks = 0;

  /** `maxChunks` hashes in all: 65,536 is 4 GiB of blobs in 64 KiB chunks, ≈ 4 MB of hex held. */
  constructor(private readonly maxChunks = 65_536) {}

  /** `compute` reads the blob and returns its manifest, or null when there is no such blob. */
  async get(hash: BlobHash, compute: () => Promise<BlobManifest | null>): Promise<BlobManifest | null> {
    const cached = this.#entries.get(hash);
    if (cached) {
      this.#entries.delete(hash);
      this.#entries.set(hash, cached);
      return cached;
    }
    // A swarm starting a job asks for the same manifest at once: the blob is read and hashed once for all of them.
    let computing = this.#computing.get(hash);
    if (!computing) {
      computing = compute().finally(() => this.#computing.delete(hash));
      this.#computing.set(hash, computing);
    } else return computing;
    const manifest = await computing;
    if (!manifest) return null;
    this.#entries.set(hash, manifest);
    this.#chunks += manifest.chunks.length;
    // Least recently used first; one manifest larger than the whole budget is served but not kept.
    for (const [key, old] of this.#entries) {
      if (this.#chunks <= this.maxChunks) break;
      this.#entries.delete(key);
      this.#chunks -= old.chunks.length;
    }
    return manifest;
  }
}
