// Blob exchanges on a simulated network (sim-network.ts): nodes with their shelves, what peers say they hold, links
// between two nodes, a lying server. What the blob exchange's tests share.
import { createHash } from 'node:crypto';
import { BLOB_CHUNK_BYTES, type BlobManifest } from '@bricolage/protocol/peer';
import { BlobExchange, type ExchangeOptions } from '../blob-exchange';
import { decodeFrame, encodeFrame } from '../frames';
import { BlobShelf } from '../shelf';
import { type PairOptions, type SimEnd, type SimNetwork, seededRandom } from './sim-network';

// Synchronous hashing, so that the simulation stays in step with the events it delivers.
export const sha = async (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function randomBlob(size: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
}

export function manifestOf(bytes: Uint8Array): BlobManifest {
  const chunks: string[] = [];
  for (let at = 0; at < bytes.length; at += BLOB_CHUNK_BYTES)
    chunks.push(
      createHash('sha256')
        .update(bytes.subarray(at, at + BLOB_CHUNK_BYTES))
        .digest('hex'),
    );
  return {
    hash: createHash('sha256').update(bytes).digest('hex') as never,
    size: bytes.length,
    chunkSize: BLOB_CHUNK_BYTES,
    chunks,
  };
}

export interface Node {
  readonly id: number;
  /** The sender tag its connections come with, as the swarm has it from the signaling relay. */
  readonly sender: string;
  readonly shelf: BlobShelf;
  readonly exchange: BlobExchange;
  /** Who it dropped: the awareness id each claimed, and why. */
  readonly drops: { peer: number | null; reason: string }[];
}

/** Peers' presence, as the swarm would read it: who says it holds what. */
export class Presence {
  readonly #held = new Map<number, Set<string>>();
  say(peer: number, hash: string): void {
    const set = this.#held.get(peer) ?? new Set<string>();
    this.#held.set(peer, set);
    set.add(hash);
  }
  holds = (peer: number, hash: string) => this.#held.get(peer)?.has(hash) ?? false;
}

export function makeNode(net: SimNetwork, id: number, presence: Presence, extra: Partial<ExchangeOptions> = {}): Node {
  const shelf = new BlobShelf();
  const drops: Node['drops'] = [];
  const exchange = new BlobExchange({
    self: id,
    shelf,
    holds: presence.holds,
    sha256Hex: sha,
    timers: net.timers,
    now: net.now,
    chunkTimeoutMs: 1000,
    onDrop: (report) => drops.push({ peer: report.claimed, reason: report.reason }),
    ...extra,
  });
  return { id, sender: `key-${id}`, shelf, exchange, drops };
}

/** Connects two nodes; the first end is `a`'s (PairOptions.tamperA rewrites what `a` sends). */
export function connect(net: SimNetwork, a: Node, b: Node, options: PairOptions = {}): [SimEnd, SimEnd] {
  const [ea, eb] = net.pair(options);
  const la = a.exchange.connect(ea, b.sender);
  const lb = b.exchange.connect(eb, a.sender);
  ea.onMessage = (m) => la.receive(m);
  ea.onClose = () => la.closed();
  eb.onMessage = (m) => lb.receive(m);
  eb.onClose = () => lb.closed();
  return [ea, eb];
}

/** A misbehaving server: flips one byte of every chunk it sends. */
export const corruptChunks = (bytes: Uint8Array): Uint8Array => {
  const decoded = decodeFrame(bytes);
  if (decoded.ok && decoded.header.t === 'chunk' && decoded.payload.length > 0) {
    const payload = decoded.payload.slice();
    payload[0] = (payload[0] as number) ^ 0xff;
    return encodeFrame(decoded.header, payload);
  }
  return bytes;
};

export const chunksAskedBy = (end: SimEnd) =>
  end.sent.map(decodeFrame).filter((d) => d.ok && d.header.t === 'get').length;
