// The blobs this volunteer holds, verified, and serves to its peers: bounded by bytes, least recently used out.
export class BlobShelf {
  readonly #blobs = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(readonly maxBytes = 128 * 1024 * 1024) {}

  /** Only for bytes already checked against `hash`. */
  put(hash: string, bytes: Uint8Array): void {
    if (this.#blobs.has(hash) || bytes.length > this.maxBytes) return;
    this.#blobs.set(hash, bytes);
    this.#bytes += bytes.length;
    for (const [key, old] of this.#blobs) {
      if (this.#bytes <= this.maxBytes) break;
      this.#blobs.delete(key);
      this.#bytes -= old.length;
    }
  }

  get(hash: string): Uint8Array | undefined {
    const bytes = this.#blobs.get(hash);
    if (bytes) {
      this.#blobs.delete(hash);
      this.#blobs.set(hash, bytes);
    }
    return bytes;
  }

  has(hash: string): boolean {
    return this.#blobs.has(hash);
  }

  /** The most recently used first, at most `limit`: what presence announces. */
  hashes(limit: number): string[] {
    return [...this.#blobs.keys()].reverse().slice(0, limit);
  }

  get bytes(): number {
    return this.#bytes;
  }
}
