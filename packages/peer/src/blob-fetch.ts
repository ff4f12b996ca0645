// One blob being fetched from several peers at once: its chunks asked round robin of the peers that hold it, a
// window of requests in flight per peer, each chunk asked again elsewhere when its peer refuses, times out,
// leaves or lies, and, once none is left to ask, the chunks still out asked of the other peers too. The exchange
// sends the requests and checks the answers; this keeps the bookkeeping, and gives up on peers too slow.
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

/**
 * A fetch's clock and pace: from three chunk timeouts after it began, checked every timeout, it must have received
 * `minBytesPerSecond` over the last three timeouts, and be done by `until`, or it gives up, so that the caller asks
 * the coordinator (which serves it in seconds); and a chunk out for half a timeout once nothing is left to ask is
 * asked of another peer too.
 */
export interface FetchPace {
  readonly chunkTimeoutMs: number;
  readonly minBytesPerSecond: number;
  /** When the fetch gives up whatever its pace (on `now`'s clock). */
  readonly until: number;
  readonly timers: { set(callback: () => void, ms: number): unknown; clear(handle: unknown): void };
  readonly now: () => number;
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
  /** Each chunk out: since when, and the peers it is asked of (more than one in the final stretch). */
  readonly #out = new Map<number, { readonly since: number; readonly askedOf: Set<FetchPeer> }>();
  #left: number;
  #received = 0;
  #done: ((result: FetchResult) => void) | null = null;
  readonly #timers = new Set<unknown>();
  /** When the final stretch looks again at chunks not yet late (one wake-up at a time). */
  #wake = Number.POSITIVE_INFINITY;

  constructor(
    private readonly exchange: ChunkRequests,
    readonly manifest: BlobManifest,
    candidates: readonly FetchPeer[],
    private readonly window: number,
    private readonly pace: FetchPace,
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
      this.#watch();
      this.#pump();
    });
  }

  received(link: FetchPeer, index: number, payload: Uint8Array): void {
    this.#settle(link, index);
    // A chunk asked twice (the first peer was slow) is kept once.
    if (!this.#done || this.#have[index]) return;
    this.#have[index] = 1;
    this.#out.delete(index);
    this.#received += payload.length;
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
    this.#settle(link, index);
    this.#candidates.delete(link);
    this.retry(index);
  }

  /** The chunk was not answered in time; true when the peer is asked nothing more (its second time). */
  timedOut(link: FetchPeer, index: number): boolean {
    this.#settle(link, index);
    const strikes = (this.#strikes.get(link) ?? 0) + 1;
    this.#strikes.set(link, strikes);
    if (strikes >= 2) this.#candidates.delete(link);
    this.retry(index);
    return strikes >= 2;
  }

  /** A chunk asked of a peer given up on: asked of the others. */
  withdrawn(link: FetchPeer, index: number): void {
    this.#settle(link, index);
    this.retry(index);
  }

  /** The link closed or was dropped with this chunk asked of it. */
  lost(link: FetchPeer, index: number): void {
    this.#inFlight.delete(link);
    this.#unask(link, index);
    this.#candidates.delete(link);
    this.retry(index);
  }

  retry(index: number): void {
    if (!this.#done || this.#have[index] || this.#todo.includes(index)) return;
    // Still asked of another peer (asked twice in the final stretch): that one is waited for. (A peer that sent
    // a wrong chunk was dropped before this: it is not waited for.)
    const askedOf = this.#out.get(index)?.askedOf ?? [];
    if (![...askedOf].some((link) => !link.dead)) {
      this.#out.delete(index);
      this.#todo.unshift(index);
    }
    this.#pump();
  }

  #settle(link: FetchPeer, index: number): void {
    const n = (this.#inFlight.get(link) ?? 1) - 1;
    if (n > 0) this.#inFlight.set(link, n);
    else this.#inFlight.delete(link);
    this.#unask(link, index);
  }

  #unask(link: FetchPeer, index: number): void {
    const out = this.#out.get(index);
    out?.askedOf.delete(link);
    if (out?.askedOf.size === 0) this.#out.delete(index);
  }

  #ask(link: FetchPeer, index: number): boolean {
    if (!this.exchange.request(link, this, index)) {
      this.#candidates.delete(link);
      return false;
    }
    this.#inFlight.set(link, (this.#inFlight.get(link) ?? 0) + 1);
    const out = this.#out.get(index) ?? { since: this.pace.now(), askedOf: new Set<FetchPeer>() };
    this.#out.set(index, out);
    out.askedOf.add(link);
    return true;
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
        if (!this.#ask(link, index)) continue;
        this.#todo.shift();
        asked = true;
      }
    }
    if (this.#todo.length === 0) this.#finalStretch();
    if (this.#candidates.size === 0 && this.#left > 0)
      this.#finish({ ok: false, reason: 'every peer that held it failed or left' });
  }

  /**
   * Nothing left to ask: a peer with room is asked the chunks out with others for half a timeout, those asked of
   * the fewest first, so that the last chunks do not wait on the slowest peer (a holder answering one request
   * just under each timeout held a fetch for chunks × timeout). The first answer is kept; chunks not yet late
   * are looked at again when they are.
   */
  #finalStretch(): void {
    const late = this.pace.chunkTimeoutMs / 2;
    const now = this.pace.now();
    let next = Number.POSITIVE_INFINITY;
    for (const link of this.#candidates) {
      while ((this.#inFlight.get(link) ?? 0) < this.window) {
        let best: number | undefined;
        let fewest = Number.POSITIVE_INFINITY;
        for (const [index, { since, askedOf }] of this.#out) {
          if (askedOf.has(link)) continue;
          if (now - since < late) next = Math.min(next, since + late);
          else if (askedOf.size < fewest) {
            best = index;
            fewest = askedOf.size;
          }
        }
        if (best === undefined || !this.#ask(link, best)) break;
      }
    }
    if (next < this.#wake) {
      this.#wake = next;
      this.#after(next - now, () => {
        this.#wake = Number.POSITIVE_INFINITY;
        this.#pump();
      });
    }
  }

  #watch(): void {
    const { chunkTimeoutMs, minBytesPerSecond, now, until } = this.pace;
    // The pace is over the last three timeouts, not from the start: a holder that sent most of a blob at once
    // then trickled on that credit for size / minBytesPerSecond (a 64 MiB blob past a 600 s lease).
    const window = 3;
    const marks = [this.#received];
    const check = () => {
      if (marks.length === window) {
        const got = this.#received - (marks.shift() as number);
        if (got < (minBytesPerSecond * window * chunkTimeoutMs) / 1000) {
          this.#finish({
            ok: false,
            reason: `peers too slow: ${Math.round(got / 1024)} KiB in the last ${(window * chunkTimeoutMs) / 1000} s`,
          });
          return;
        }
        // At this pace it would not be done by its deadline: the coordinator is asked now, not once the deadline
        // has thrown away most of the blob (an honest link between the minimum pace and what a big blob needs).
        const left = this.manifest.size - this.#received;
        if ((got / (window * chunkTimeoutMs)) * (until - now()) < left) {
          this.#finish({
            ok: false,
            reason: `cannot finish by its deadline: ${Math.round(left / 1024)} KiB left at ${Math.round((got * 1000) / (window * chunkTimeoutMs) / 1024)} KiB/s`,
          });
          return;
        }
      }
      marks.push(this.#received);
      this.#after(chunkTimeoutMs, check);
    };
    this.#after(chunkTimeoutMs, check);
    // A holder keeping just over the pace still cannot hold a big blob for long (its deadline, blob-exchange.ts).
    const began = now();
    this.#after(until - began, () =>
      this.#finish({
        ok: false,
        reason: `out of time: ${Math.round(this.#received / 1024)} of ${Math.round(this.manifest.size / 1024)} KiB in ${((now() - began) / 1000).toFixed(1)} s`,
      }),
    );
  }

  /** Runs `callback` in `ms` while the fetch is under way. */
  #after(ms: number, callback: () => void): void {
    const handle = this.pace.timers.set(() => {
      this.#timers.delete(handle);
      if (this.#done) callback();
    }, ms);
    this.#timers.add(handle);
  }

  #finish(result: FetchResult): void {
    const done = this.#done;
    this.#done = null;
    for (const handle of this.#timers) this.pace.timers.clear(handle);
    this.#timers.clear();
    done?.(result);
  }
}

export function manifestProblem(hash: string, m: BlobManifest): string | null {
  if (m.hash !== hash) return 'the manifest is for another blob';
  if (m.chunkSize > BLOB_CHUNK_BYTES) return `chunks of ${m.chunkSize} bytes are over the ${BLOB_CHUNK_BYTES} limit`;
  if (m.chunks.length !== Math.ceil(m.size / m.chunkSize)) return 'the manifest has the wrong number of chunks';
  return null;
}
