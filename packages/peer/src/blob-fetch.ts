// One blob being fetched from several peers at once: its chunks asked round robin of the peers that hold it, a
// window of requests in flight per peer, each chunk asked again elsewhere when its peer refuses, times out,
// leaves or lies. The exchange sends the requests and checks the answers; this keeps the bookkeeping.
import type { BlobManifest } from '@bricolage/protocol/peer';
import { BLOB_CHUNK_BYTES } from '@bricolage/protocol/peer';

export type FetchResult =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly peers: readonly number[] }
  | { readonly ok: false; readonly reason: string };

/** A peer as a fetch sees it (blob-exchange.ts's `Link`): who it said it is, and whether it is gone. */
export interface FetchPeer {
  readonly peer: number | null;
  readonly dead: boolean;
}

/** What a fetch asks of the exchange: send a peer a request for a chunk; false when that cannot be done now. */
export interface ChunkRequests {
  request(link: FetchPeer, fetch: BlobFetch, index: number): boolean;
}

/** One blob being fetched from several peers at once. */
export class BlobFetch {
  readonly #bytes: Uint8Array;
  readonly #have: Uint8Array;
  readonly #todo: number[];
  readonly #inFlight = new Map<FetchPeer, number>();
  readonly #strikes = new Map<FetchPeer, number>();
  readonly #candidates: Set<FetchPeer>;
  readonly #from = new Set<number>();
  #left: number;
  #done: ((result: FetchResult) => void) | null = null;

  constructor(
    private readonly exchange: ChunkRequests,
    readonly manifest: BlobManifest,
    candidates: readonly FetchPeer[],
    private readonly window: number,
  ) {
    this.#bytes = new Uint8Array(manifest.size);
    this.#have = new Uint8Array(manifest.chunks.length);
    this.#todo = manifest.chunks.map((_, i) => i);
    this.#left = manifest.chunks.length;
    this.#candidates = new Set(candidates);
  }

  run(): Promise<FetchResult> {
    if (this.#left === 0) return Promise.resolve({ ok: true, bytes: this.#bytes, peers: [] });
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#pump();
    });
  }

  received(link: FetchPeer, index: number, payload: Uint8Array): void {
    this.#settle(link);
    // A chunk asked twice (the first peer was slow) is kept once.
    if (!this.#done || this.#have[index]) return;
    this.#have[index] = 1;
    this.#bytes.set(payload, index * this.manifest.chunkSize);
    this.#from.add(link.peer as number);
    if (--this.#left === 0) {
      this.#finish({ ok: true, bytes: this.#bytes, peers: [...this.#from] });
      return;
    }
    this.#pump();
  }

  /** The peer does not have it (any more): ask the others. */
  refused(link: FetchPeer, index: number): void {
    this.#settle(link);
    this.#candidates.delete(link);
    this.retry(index);
  }

  timedOut(link: FetchPeer, index: number): void {
    this.#settle(link);
    const strikes = (this.#strikes.get(link) ?? 0) + 1;
    this.#strikes.set(link, strikes);
    if (strikes >= 2) this.#candidates.delete(link);
    this.retry(index);
  }

  /** The link closed or was dropped with this chunk asked of it. */
  lost(link: FetchPeer, index: number): void {
    this.#inFlight.delete(link);
    this.#candidates.delete(link);
    this.retry(index);
  }

  retry(index: number): void {
    if (!this.#done || this.#have[index] || this.#todo.includes(index)) return;
    this.#todo.unshift(index);
    this.#pump();
  }

  #settle(link: FetchPeer): void {
    const n = (this.#inFlight.get(link) ?? 1) - 1;
    if (n > 0) this.#inFlight.set(link, n);
    else this.#inFlight.delete(link);
  }

  #pump(): void {
    if (!this.#done) return;
    for (const link of this.#candidates) if (link.dead) this.#candidates.delete(link);
    // Round robin: one chunk per peer per turn, until every peer's window is full or nothing is left to ask.
    let asked = true;
    while (this.#todo.length > 0 && asked) {
      asked = false;
      for (const link of this.#candidates) {
        const index = this.#todo[0];
        if (index === undefined) break;
        if ((this.#inFlight.get(link) ?? 0) >= this.window) continue;
        if (!this.exchange.request(link, this, index)) {
          this.#candidates.delete(link);
          continue;
        }
        this.#todo.shift();
        this.#inFlight.set(link, (this.#inFlight.get(link) ?? 0) + 1);
        asked = true;
      }
    }
    if (this.#candidates.size === 0 && this.#left > 0)
      this.#finish({ ok: false, reason: 'every peer that held it failed or left' });
  }

  #finish(result: FetchResult): void {
    const done = this.#done;
    this.#done = null;
    done?.(result);
  }
}

export function manifestProblem(hash: string, m: BlobManifest): string | null {
  if (m.hash !== hash) return 'the manifest is for another blob';
  if (m.chunkSize > BLOB_CHUNK_BYTES) return `chunks of ${m.chunkSize} bytes are over the ${BLOB_CHUNK_BYTES} limit`;
  if (m.chunks.length !== Math.ceil(m.size / m.chunkSize)) return 'the manifest has the wrong number of chunks';
  return null;
}
