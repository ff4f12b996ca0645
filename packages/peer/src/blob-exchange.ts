// The peer-to-peer blob cache's protocol over one data channel per peer: serve chunks of the blobs on the shelf,
// and fetch a blob's chunks from the peers that hold it, a few requests in flight per peer, each chunk checked
// against the coordinator's manifest before it is kept. A peer that sends a wrong chunk (or anything outside
// the protocol) is dropped and reported, and its chunks are asked of another peer. A link is known by the sender
// tag of the key whose connection it is (the relay's, which no peer can choose), not by the awareness id its
// hello claims (which any peer can): misbehaviour is held against the key. Knows nothing of WebRTC: the swarm
// hands it channels, the tests hand it a simulated network.
import type { BlobManifest } from '@bricolage/protocol/peer';
import { BLOB_CHUNK_BYTES } from '@bricolage/protocol/peer';
import { BlobFetch, type ChunkRequests, type FetchResult, manifestProblem } from './blob-fetch';
import { type Decoded, decodeFrame, encodeFrame } from './frames';
import type { BlobShelf } from './shelf';

/** A message channel to one peer (an RTCDataChannel in the browser). */
export interface Channel {
  send(bytes: Uint8Array): void;
  readonly bufferedAmount: number;
  /** Resolves once the bytes queued to send have fallen low again. */
  drained(): Promise<void>;
  close(): void;
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A peer dropped for misbehaving: shown on the page, never acted on beyond this volunteer. */
export interface PeerReport {
  /** The sender tag of the key whose connection it was (null where the swarm could not say). */
  readonly sender: string | null;
  /** The awareness client id its hello claimed: a claim only, any peer may say any id (null when it said none). */
  readonly claimed: number | null;
  readonly reason: string;
  readonly at: number;
}

export interface ExchangeStats {
  /** Bytes received from peers in chunks that verified, and bytes sent to peers. */
  readonly bytesFromPeers: number;
  readonly bytesServed: number;
  /** Blobs fetched whole from peers, and fetches that had to fall back. */
  readonly fetched: number;
  readonly fellBack: number;
  readonly rejectedChunks: number;
  readonly dropped: readonly PeerReport[];
}

export interface ExchangeOptions {
  /** This volunteer's awareness client id, sent in its hello. */
  readonly self: number;
  readonly shelf: BlobShelf;
  /** Whether a peer's presence says it holds a blob. */
  holds(peer: number, hash: string): boolean;
  sha256Hex(bytes: Uint8Array): Promise<string>;
  readonly timers?: Timers;
  readonly now?: () => number;
  /**
   * A peer's oldest open request not answered in this time from when it was sent, or from when the one before it
   * was answered, is asked of another peer; a peer that times out twice is not asked again.
   */
  readonly chunkTimeoutMs?: number;
  /** A fetch receiving less than this over three chunk timeouts gives up (see MIN_FETCH_BYTES_PER_SECOND). */
  readonly minFetchBytesPerSecond?: number;
  /** Requests in flight per peer. */
  readonly window?: number;
  /** How long a channel may stay without a hello before it is closed (default 10 s). */
  readonly helloTimeoutMs?: number;
  /** A peer was dropped: the swarm closes its connection. */
  onDrop?(report: PeerReport, channel: Channel): void;
  /** A peer said hello, left, or was dropped. */
  onChange?(): void;
}

/** Queued bytes above which the server side waits for the channel to drain. */
const HIGH_WATER = 1024 * 1024;
/** Requests a peer may have queued with us; beyond it they are answered `none`. */
const MAX_SERVING_QUEUE = 64;
/**
 * The least a fetch from peers must receive over its last three chunk timeouts (30 s), checked from 30 s on, or
 * the coordinator is asked for the blob: 96 KiB/s, 1.5 chunks a second. An honest slow link (a few hundred KB/s)
 * is far above it; a holder dripping one chunk per 10 s timeout (6.5 KiB/s) held a 14 MB fetch 36 minutes, and
 * one that sent most of a blob at once and then dripped is cut 30 to 40 s after it began to drip. A fetch sharing
 * one slow holder with others may fall under it and go to the coordinator: egress, not a failure.
 */
export const MIN_FETCH_BYTES_PER_SECOND = 96 * 1024;
/**
 * However it keeps pace, a fetch gives up FETCH_BASE_MS + size / FETCH_DEADLINE_BYTES_PER_SECOND after the blob was
 * first asked for (across the page's rooms: `fetch`'s `spentMs`): 2 min + 1 s per MiB. The project's assets
 * (the onnxruntime .wasm ~14 MB, OCR models 4.7 and 10.8 MB) get 2 min 13 s at most, nearly twice what an honest
 * 200 KB/s link takes for the biggest (70 s): for them it cuts only a link barely over the minimum pace; a
 * 64 MiB blob gets ~3 min, a 256 MiB one (maxBlobBytes) ~6.3 min, within a 600 s lease, where a holder just over
 * the minimum pace held it ~45 min. A blob that big needs ~700 KiB/s from peers, or comes from the coordinator.
 */
export const FETCH_BASE_MS = 120_000;
const FETCH_DEADLINE_BYTES_PER_SECOND = 1024 * 1024;

/** How long a fetch of a blob of `size` bytes may take from when it was first asked for, across the rooms. */
export const fetchDeadlineMs = (size: number): number =>
  FETCH_BASE_MS + (size / FETCH_DEADLINE_BYTES_PER_SECOND) * 1000;

/** What is left of that once `spentMs` went (0 or less: none; a spent time that is no number, or negative, is none). */
export const fetchTimeLeftMs = (size: number, spentMs: number): number =>
  fetchDeadlineMs(size) - (Number.isFinite(spentMs) ? Math.max(0, spentMs) : 0);

interface Request {
  readonly id: number;
  readonly index: number;
  readonly fetch: BlobFetch;
  /** Set while it is its link's oldest open request: only that one is timed. */
  timer: unknown;
}

/** One peer's end of the exchange, created when its channel opens. */
export class Link {
  /** The awareness id its hello claimed, which its presence (what it holds) is read under. */
  peer: number | null = null;
  dead = false;
  helloTimer: unknown = null;
  /**
   * Open requests, in the order sent. A peer answers in order: the oldest is timed from when it was sent or the
   * one before it was answered, so that a peer working through a queue is busy, not gone, while an answer to
   * any other request (a peer withholding that one, or trickling) resets nothing.
   */
  readonly requests = new Map<number, Request>();
  serving: Promise<void> = Promise.resolve();
  queued = 0;

  constructor(
    readonly channel: Channel,
    /** The sender tag of the key whose connection this is; null where not known (then only the link is dropped). */
    readonly sender: string | null,
    private readonly exchange: BlobExchange,
  ) {}

  /** Hands the exchange a message the channel received. */
  receive(bytes: Uint8Array): void {
    this.exchange.receive(this, decodeFrame(bytes));
  }

  /** The channel closed: whatever was asked of this peer is asked of another. */
  closed(): void {
    this.exchange.closed(this);
  }
}

export class BlobExchange implements ChunkRequests {
  readonly #o: ExchangeOptions;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #links = new Set<Link>();
  /** Sender tags of the keys dropped: their later connections are closed at once. */
  readonly #denied = new Set<string>();
  readonly #dropped: PeerReport[] = [];
  #nextId = 1;
  #stats = { bytesFromPeers: 0, bytesServed: 0, fetched: 0, fellBack: 0, rejectedChunks: 0 };

  constructor(options: ExchangeOptions) {
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A channel to a peer opened, on a connection from the key whose sender tag is `sender`: say who we are, take
   * its messages, and wait for its hello a while. A key dropped before is closed at once, unreported.
   */
  connect(channel: Channel, sender: string | null = null): Link {
    const link = new Link(channel, sender, this);
    this.#links.add(link);
    if (sender !== null && this.#denied.has(sender)) {
      this.drop(link, 'was dropped before', false);
      return link;
    }
    const wait = this.#o.helloTimeoutMs ?? 10_000;
    link.helloTimer = this.#timers.set(() => this.drop(link, `said no hello in ${wait} ms`, true, false), wait);
    this.#send(link, encodeFrame({ t: 'hello', peer: this.#o.self }));
    return link;
  }

  /** Peers that said hello and were not dropped. */
  peers(): number[] {
    return [...this.#links].filter((l) => !l.dead && l.peer !== null).map((l) => l.peer as number);
  }

  /** Whether the key with this sender tag was dropped (for the swarm's life). */
  denied(sender: string): boolean {
    return this.#denied.has(sender);
  }

  stats(): ExchangeStats {
    return { ...this.#stats, dropped: [...this.#dropped] };
  }

  /** Counts a blob that had to come from the coordinator after all (for the egress figures). */
  fellBack(): void {
    this.#stats.fellBack++;
  }

  /**
   * The blob, from the peers whose presence says they hold it, each chunk checked against `manifest`;
   * or why not (no peer holds it, every peer that did failed, too slow, out of time), so that the caller asks the
   * coordinator. `spentMs`: how long ago the blob was first asked for (of other rooms), taken from its deadline.
   */
  async fetch(hash: string, manifest: BlobManifest, spentMs = 0): Promise<FetchResult> {
    const problem = manifestProblem(hash, manifest);
    if (problem) return { ok: false, reason: problem };
    const until = this.#now() + fetchTimeLeftMs(manifest.size, spentMs);
    if (until <= this.#now()) return { ok: false, reason: `out of time: asked ${Math.round(spentMs / 1000)} s ago` };
    const candidates = [...this.#links].filter((l) => !l.dead && l.peer !== null && this.#o.holds(l.peer, hash));
    if (candidates.length === 0) return { ok: false, reason: 'no peer holds it' };
    const fetch = new BlobFetch(this, manifest, candidates, this.#o.window ?? 8, {
      chunkTimeoutMs: this.#o.chunkTimeoutMs ?? 10_000,
      minBytesPerSecond: this.#o.minFetchBytesPerSecond ?? MIN_FETCH_BYTES_PER_SECOND,
      until,
      timers: this.#timers,
      now: this.#now,
    });
    const result = await fetch.run();
    // Its requests still out (asked twice, or the fetch gave up) are no longer waited for.
    for (const link of this.#links)
      for (const r of [...link.requests.values()]) if (r.fetch === fetch) this.#close(link, r);
    if (!result.ok) return result;
    // The manifest came from the coordinator and every chunk matched it; this catches a wrong manifest.
    if ((await this.#o.sha256Hex(result.bytes)) !== hash)
      return { ok: false, reason: 'the chunks matched the manifest but not the blob hash' };
    this.#stats.fetched++;
    return result;
  }

  /** @internal A message from `link`, decoded (or why it could not be). */
  receive(link: Link, decoded: Decoded): void {
    if (link.dead) return;
    if (!decoded.ok) {
      this.drop(link, `sent ${decoded.reason}`);
      return;
    }
    const { header, payload } = decoded;
    if (header.t === 'hello') {
      if (link.peer !== null) {
        this.drop(link, 'said hello twice');
        return;
      }
      this.#timers.clear(link.helloTimer);
      // An id is only a claim, and another link's claim to the same id is no reason to refuse this one (the first
      // to say an id may be an impostor) nor to drop that one: both are asked for what the id's presence lists,
      // each chunk is checked, and a link that misbehaves is held against its own key. Only this tab's own id is
      // surely not theirs.
      if (header.peer === this.#o.self) {
        this.drop(link, `said it was peer ${header.peer}, this tab's own id`);
        return;
      }
      link.peer = header.peer;
      this.#o.onChange?.();
      return;
    }
    if (link.peer === null) {
      this.drop(link, `sent ${header.t} before hello`);
      return;
    }
    switch (header.t) {
      case 'get':
        this.#serve(link, header.id, header.hash, header.index);
        return;
      case 'chunk':
      case 'none': {
        const request = link.requests.get(header.id);
        // A late answer to a request already asked of another peer (it timed out): nothing to do.
        if (!request) return;
        this.#close(link, request);
        if (header.t === 'none' || header.hash !== request.fetch.manifest.hash) {
          request.fetch.refused(link, request.index);
          return;
        }
        if (header.index !== request.index) {
          this.drop(link, `answered chunk ${request.index} with another`);
          return;
        }
        void this.#check(link, request, payload);
        return;
      }
    }
  }

  async #check(link: Link, request: Request, payload: Uint8Array): Promise<void> {
    const { fetch, index } = request;
    const { manifest } = fetch;
    const expected = Math.min(manifest.chunkSize, manifest.size - index * manifest.chunkSize);
    const good = payload.length === expected && (await this.#o.sha256Hex(payload)) === manifest.chunks[index];
    if (!good) {
      this.#stats.rejectedChunks++;
      // Dropped first, so that the chunk is not asked of it again.
      this.drop(link, `sent a wrong chunk (${index} of ${manifest.hash.slice(0, 12)}…)`);
      fetch.retry(index);
      return;
    }
    this.#stats.bytesFromPeers += payload.length;
    fetch.received(link, index, payload);
  }

  #serve(link: Link, id: number, hash: string, index: number): void {
    const blob = this.#o.shelf.get(hash);
    const chunkSize = BLOB_CHUNK_BYTES;
    if (!blob || index * chunkSize >= Math.max(blob.length, 1) || link.queued >= MAX_SERVING_QUEUE) {
      this.#send(link, encodeFrame({ t: 'none', id, hash: hash as never }));
      return;
    }
    link.queued++;
    link.serving = link.serving.then(async () => {
      link.queued--;
      if (link.dead) return;
      if (link.channel.bufferedAmount > HIGH_WATER) await link.channel.drained();
      const payload = blob.subarray(index * chunkSize, (index + 1) * chunkSize);
      if (this.#send(link, encodeFrame({ t: 'chunk', id, hash: hash as never, index }, payload)))
        this.#stats.bytesServed += payload.length;
    });
  }

  /** @internal Asks `link` for a chunk; false when the link is gone. */
  request(link: Link, fetch: BlobFetch, index: number): boolean {
    if (link.dead) return false;
    const id = this.#nextId++;
    const request: Request = { id, index, fetch, timer: null };
    link.requests.set(id, request);
    if (link.requests.size === 1) this.#time(link, request);
    if (this.#send(link, encodeFrame({ t: 'get', id, hash: fetch.manifest.hash, index }))) return true;
    this.#close(link, request);
    return false;
  }

  /**
   * Times `link`'s oldest request: unanswered in the chunk timeout, it is asked of another peer, and a peer
   * given up on (its second time) has the rest of that fetch's requests asked of the others at once. A peer
   * answering slowly but in time is the fetch's to give up on (its pace, blob-fetch.ts).
   */
  #time(link: Link, request: Request): void {
    request.timer = this.#timers.set(() => {
      if (link.requests.get(request.id) !== request) return;
      this.#close(link, request);
      const { fetch } = request;
      if (!fetch.timedOut(link, request.index)) return;
      for (const r of [...link.requests.values()])
        if (r.fetch === fetch) {
          this.#close(link, r);
          fetch.withdrawn(link, r.index);
        }
    }, this.#o.chunkTimeoutMs ?? 10_000);
  }

  /** A request answered or given up on: the next one on its link is timed from now. */
  #close(link: Link, request: Request): void {
    const oldest = link.requests.keys().next().value === request.id;
    link.requests.delete(request.id);
    this.#timers.clear(request.timer);
    const next = link.requests.values().next().value;
    if (oldest && next && !link.dead) this.#time(link, next);
  }

  /**
   * Drops a peer: its channel closes, its requests go elsewhere, it is reported, and (`deny`) its key's later
   * connections are closed at once.
   */
  drop(link: Link, reason: string, report = true, deny = true): void {
    if (link.dead) return;
    this.#forget(link);
    if (deny && link.sender !== null) this.#denied.add(link.sender);
    const dropped: PeerReport = { sender: link.sender, claimed: link.peer, reason, at: this.#now() };
    if (report) {
      this.#dropped.push(dropped);
      if (this.#dropped.length > 20) this.#dropped.shift();
    }
    link.channel.close();
    this.#o.onDrop?.(dropped, link.channel);
    this.#o.onChange?.();
  }

  /** @internal */
  closed(link: Link): void {
    if (link.dead) return;
    this.#forget(link);
    this.#o.onChange?.();
  }

  #forget(link: Link): void {
    link.dead = true;
    this.#timers.clear(link.helloTimer);
    this.#links.delete(link);
    const requests = [...link.requests.values()];
    link.requests.clear();
    for (const r of requests) {
      this.#timers.clear(r.timer);
      r.fetch.lost(link, r.index);
    }
  }

  #send(link: Link, bytes: Uint8Array): boolean {
    try {
      link.channel.send(bytes);
      return true;
    } catch (error) {
      // The channel closed under us; its close event will follow.
      void error;
      return false;
    }
  }
}
