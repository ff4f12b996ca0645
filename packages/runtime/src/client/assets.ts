// Job assets (WGSL source, wasm modules, ONNX models) by content hash: fetched once, verified against
// the hash, retried on transient failures, and kept for the next work units of the same job.
import type { ClientResult } from './coordinator-client';
import { backoffDelay } from './backoff';

export interface BlobSource {
  blob(hash: string): Promise<ClientResult<Uint8Array>>;
}

export class AssetCache {
  readonly #source: BlobSource;
  readonly #entries = new Map<string, Promise<Uint8Array>>();
  readonly #capacity: number;

  constructor(source: BlobSource, capacity = 16) {
    this.#source = source;
    this.#capacity = capacity;
  }

  /** The bytes of every hash, or a rejection naming the first that could not be had. */
  async get(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    const entries = await Promise.all(hashes.map(async (h) => [h, await this.#one(h)] as const));
    return new Map(entries);
  }

  #one(hash: string): Promise<Uint8Array> {
    let entry = this.#entries.get(hash);
    if (entry) {
      // Most recently used last, so the oldest is evicted first.
      this.#entries.delete(hash);
      this.#entries.set(hash, entry);
      return entry;
    }
    entry = this.#fetch(hash);
    this.#entries.set(hash, entry);
    entry.catch(() => this.#entries.delete(hash));
    while (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    return entry;
  }

  async #fetch(hash: string): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#source.blob(hash);
      if (result.ok) return result.value;
      if (!result.error.transient || attempt >= 4) throw new Error(`asset ${hash}: ${result.error.message}`);
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt)));
    }
  }
}
