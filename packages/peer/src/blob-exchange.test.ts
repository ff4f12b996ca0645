import { createHash } from 'node:crypto';
import { BLOB_CHUNK_BYTES, type BlobManifest } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { BlobExchange, type ExchangeOptions } from './blob-exchange';
import { decodeFrame, encodeFrame } from './frames';
import { BlobShelf } from './shelf';
import { type PairOptions, type SimEnd, SimNetwork, seededRandom } from './testing/sim-network';

// Synchronous hashing, so that the simulation stays in step with the events it delivers.
const sha = async (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function randomBlob(size: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
}

function manifestOf(bytes: Uint8Array): BlobManifest {
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

interface Node {
  readonly id: number;
  readonly shelf: BlobShelf;
  readonly exchange: BlobExchange;
  readonly drops: { peer: number | null; reason: string }[];
}

/** Peers' presence, as the swarm would read it: who says it holds what. */
class Presence {
  readonly #held = new Map<number, Set<string>>();
  say(peer: number, hash: string): void {
    const set = this.#held.get(peer) ?? new Set<string>();
    this.#held.set(peer, set);
    set.add(hash);
  }
  holds = (peer: number, hash: string) => this.#held.get(peer)?.has(hash) ?? false;
}

function makeNode(net: SimNetwork, id: number, presence: Presence, extra: Partial<ExchangeOptions> = {}): Node {
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
    onDrop: (peer, _channel, reason) => drops.push({ peer, reason }),
    ...extra,
  });
  return { id, shelf, exchange, drops };
}

/** Connects two nodes; the first end is `a`'s (PairOptions.tamperA rewrites what `a` sends). */
function connect(net: SimNetwork, a: Node, b: Node, options: PairOptions = {}): [SimEnd, SimEnd] {
  const [ea, eb] = net.pair(options);
  const la = a.exchange.connect(ea);
  const lb = b.exchange.connect(eb);
  ea.onMessage = (m) => la.receive(m);
  ea.onClose = () => la.closed();
  eb.onMessage = (m) => lb.receive(m);
  eb.onClose = () => lb.closed();
  return [ea, eb];
}

/** A misbehaving server: flips one byte of every chunk it sends. */
const corruptChunks = (bytes: Uint8Array): Uint8Array => {
  const decoded = decodeFrame(bytes);
  if (decoded.ok && decoded.header.t === 'chunk' && decoded.payload.length > 0) {
    const payload = decoded.payload.slice();
    payload[0] = (payload[0] as number) ^ 0xff;
    return encodeFrame(decoded.header, payload);
  }
  return bytes;
};

const chunksAskedBy = (end: SimEnd) => end.sent.map(decodeFrame).filter((d) => d.ok && d.header.t === 'get').length;

describe('the blob exchange', () => {
  it('fetches a blob from every peer that holds it, chunk by chunk, and it is byte for byte the blob', async () => {
    const net = new SimNetwork(1);
    const presence = new Presence();
    const bytes = randomBlob(20 * BLOB_CHUNK_BYTES + 123, 7);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const holders = [2, 3, 4].map((id) => makeNode(net, id, presence));
    for (const h of holders) {
      h.shelf.put(manifest.hash, bytes);
      presence.say(h.id, manifest.hash);
      connect(net, h, me);
    }
    await net.advance(100);

    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect([...result.peers].sort()).toEqual([2, 3, 4]);
    expect(me.exchange.stats()).toMatchObject({ bytesFromPeers: bytes.length, fetched: 1, rejectedChunks: 0 });
    const served = holders.reduce((sum, h) => sum + h.exchange.stats().bytesServed, 0);
    expect(served).toBe(bytes.length);
  });

  it('drops and reports a peer that sends a wrong chunk, never asks it again, and still gets the blob intact', async () => {
    const net = new SimNetwork(2);
    const presence = new Presence();
    const bytes = randomBlob(12 * BLOB_CHUNK_BYTES, 11);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const honest = makeNode(net, 2, presence);
    const liar = makeNode(net, 3, presence);
    for (const h of [honest, liar]) {
      h.shelf.put(manifest.hash, bytes);
      presence.say(h.id, manifest.hash);
    }
    connect(net, honest, me);
    const [liarEnd, myEndToLiar] = connect(net, liar, me, { tamperA: corruptChunks });
    await net.advance(100);

    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(me.drops).toEqual([{ peer: 3, reason: expect.stringContaining('wrong chunk') }]);
    expect(me.exchange.stats().dropped).toMatchObject([{ peer: 3 }]);
    expect(me.exchange.stats().rejectedChunks).toBeGreaterThanOrEqual(1);
    expect(me.exchange.denied(3)).toBe(true);
    expect(myEndToLiar.closed).toBe(true);
    await net.advance(100);
    expect(liarEnd.closed).toBe(true);

    // The liar comes back on a new connection: it is refused at its hello and asked nothing.
    const [, mine] = connect(net, liar, me);
    await net.advance(100);
    expect(mine.closed).toBe(true);
    const again = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(again.ok).toBe(true);
    expect(chunksAskedBy(mine)).toBe(0);
    // Reported once: the refusal at hello is not a new report.
    expect(me.exchange.stats().dropped).toHaveLength(1);
  });

  it('fails, so that the caller asks the coordinator, when the only holder lies', async () => {
    const net = new SimNetwork(3);
    const presence = new Presence();
    const bytes = randomBlob(3 * BLOB_CHUNK_BYTES, 5);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const liar = makeNode(net, 2, presence);
    liar.shelf.put(manifest.hash, bytes);
    presence.say(2, manifest.hash);
    connect(net, liar, me, { tamperA: corruptChunks });
    await net.advance(100);
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result).toEqual({ ok: false, reason: 'every peer that held it failed or left' });
    expect(me.drops).toHaveLength(1);
  });

  it('answers at once when no peer holds the blob', async () => {
    const net = new SimNetwork(4);
    const presence = new Presence();
    const bytes = randomBlob(1000, 1);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    connect(net, makeNode(net, 2, presence), me);
    await net.advance(100);
    expect(await me.exchange.fetch(manifest.hash, manifest)).toEqual({ ok: false, reason: 'no peer holds it' });
  });

  it('asks another peer for the chunks a silent peer never answers, and stops asking it after two timeouts', async () => {
    const net = new SimNetwork(5);
    const presence = new Presence();
    const bytes = randomBlob(8 * BLOB_CHUNK_BYTES, 3);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const honest = makeNode(net, 2, presence);
    const silent = makeNode(net, 3, presence);
    for (const h of [honest, silent]) {
      h.shelf.put(manifest.hash, bytes);
      presence.say(h.id, manifest.hash);
    }
    connect(net, honest, me);
    // Says hello, then swallows every chunk it is asked for.
    const swallow = (b: Uint8Array) => {
      const d = decodeFrame(b);
      return d.ok && d.header.t === 'chunk' ? null : b;
    };
    const [, toSilent] = connect(net, silent, me, { tamperA: swallow });
    await net.advance(100);
    const started = net.now();
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(result.ok && result.peers).toEqual([2]);
    // Two rounds of the 1 s timeout at most, then the honest peer alone.
    expect(net.now() - started).toBeLessThan(3000);
    expect(chunksAskedBy(toSilent)).toBeLessThanOrEqual(16);
    expect(me.drops).toEqual([]);
  });

  it('does not give up on a peer that is slow but keeps delivering (a busy link is not a dead one)', async () => {
    const net = new SimNetwork(10);
    const presence = new Presence();
    const bytes = randomBlob(16 * BLOB_CHUNK_BYTES, 12);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const busy = makeNode(net, 2, presence);
    busy.shelf.put(manifest.hash, bytes);
    presence.say(2, manifest.hash);
    // 400 ms per chunk on the wire: the 8th chunk asked at once arrives long after the 1 s timeout,
    // but a chunk arrives every 400 ms.
    connect(net, busy, me, { bytesPerMs: BLOB_CHUNK_BYTES / 400 });
    await net.advance(100);
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('gives up on a peer that withholds a chunk while it keeps sending other things, and the caller falls back', async () => {
    const net = new SimNetwork(13);
    const presence = new Presence();
    const bytes = randomBlob(2 * BLOB_CHUNK_BYTES, 8);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const staller = makeNode(net, 2, presence);
    staller.shelf.put(manifest.hash, bytes);
    presence.say(2, manifest.hash);
    // Swallows the chunks it is asked for, and every 500 ms asks for something itself: it is not silent.
    const swallow = (b: Uint8Array) => {
      const d = decodeFrame(b);
      return d.ok && d.header.t === 'chunk' ? null : b;
    };
    const [theirs] = connect(net, staller, me, { tamperA: swallow });
    let asked = 0;
    const chatter = () => {
      theirs.send(encodeFrame({ t: 'get', id: 1000 + asked++, hash: 'cd'.repeat(32) as never, index: 0 }));
      net.timers.set(chatter, 500);
    };
    chatter();
    await net.advance(100);
    const started = net.now();
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest), 50_000);
    expect(result).toEqual({ ok: false, reason: 'every peer that held it failed or left' });
    // Two rounds of the 1 s timeout, not for as long as it chatters.
    expect(net.now() - started).toBeLessThan(3000);
  });

  it('asks the others when a peer no longer has the blob, or leaves mid-fetch', async () => {
    const net = new SimNetwork(6);
    const presence = new Presence();
    const bytes = randomBlob(10 * BLOB_CHUNK_BYTES, 9);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const [stays, forgot, leaves] = [2, 3, 4].map((id) => makeNode(net, id, presence)) as [Node, Node, Node];
    for (const h of [stays, forgot, leaves]) presence.say(h.id, manifest.hash);
    stays.shelf.put(manifest.hash, bytes);
    leaves.shelf.put(manifest.hash, bytes);
    connect(net, stays, me);
    connect(net, forgot, me);
    const [leaving] = connect(net, leaves, me, { latency: [50, 60] });
    await net.advance(200);
    const fetching = me.exchange.fetch(manifest.hash, manifest);
    await net.advance(5);
    leaving.close();
    const result = await net.run(fetching);
    expect(result.ok && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(result.ok && result.peers).toEqual([2]);
    expect(me.drops).toEqual([]);
  });

  it('drops a peer that breaks the protocol: garbage, a request before hello, a second hello', async () => {
    for (const bad of [
      new Uint8Array([1, 2, 3]),
      encodeFrame({ t: 'get', id: 1, hash: 'ab'.repeat(32) as never, index: 0 }),
      encodeFrame({ t: 'hello', peer: 9 }),
    ]) {
      const net = new SimNetwork(7);
      const me = makeNode(net, 1, new Presence());
      const [theirs, mine] = net.pair();
      const link = me.exchange.connect(mine);
      mine.onMessage = (m) => link.receive(m);
      // A second hello is only a violation after a first one.
      if (decodeFrame(bad).ok && (decodeFrame(bad) as { header: { t: string } }).header.t === 'hello')
        theirs.send(encodeFrame({ t: 'hello', peer: 9 }));
      theirs.send(bad);
      await net.advance(100);
      expect(mine.closed).toBe(true);
      expect(me.drops).toHaveLength(1);
    }
  });

  it('refuses a hello that claims the id of a peer already linked, so an impostor cannot get that peer dropped', async () => {
    const net = new SimNetwork(12);
    const presence = new Presence();
    const bytes = randomBlob(3 * BLOB_CHUNK_BYTES, 6);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const honest = makeNode(net, 2, presence);
    honest.shelf.put(manifest.hash, bytes);
    presence.say(2, manifest.hash);
    connect(net, honest, me);
    await net.advance(100);

    // Another connection says it is peer 2 (awareness ids are anyone's to claim), then breaks the protocol.
    for (const claimed of [2, 1]) {
      const [impostor, mine] = net.pair();
      const link = me.exchange.connect(mine);
      mine.onMessage = (m) => link.receive(m);
      impostor.send(encodeFrame({ t: 'hello', peer: claimed }));
      impostor.send(new Uint8Array([1, 2, 3]));
      await net.advance(100);
      expect(mine.closed).toBe(true);
    }

    // The real peer 2 is neither denied nor blamed, and still serves the blob.
    expect(me.exchange.denied(2)).toBe(false);
    expect(me.exchange.denied(1)).toBe(false);
    expect(me.exchange.stats().dropped.map((d) => d.peer)).toEqual([null, null]);
    expect(me.exchange.stats().dropped[0]?.reason).toContain('peer 2');
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok && result.peers).toEqual([2]);
  });

  it('serves exact chunks of what it holds and `none` for what it does not', async () => {
    const net = new SimNetwork(8);
    const me = makeNode(net, 1, new Presence());
    const bytes = randomBlob(2 * BLOB_CHUNK_BYTES + 10, 4);
    const manifest = manifestOf(bytes);
    me.shelf.put(manifest.hash, bytes);
    const [theirs, mine] = net.pair();
    const link = me.exchange.connect(mine);
    mine.onMessage = (m) => link.receive(m);
    const got: ReturnType<typeof decodeFrame>[] = [];
    theirs.onMessage = (m) => got.push(decodeFrame(m));
    theirs.send(encodeFrame({ t: 'hello', peer: 2 }));
    theirs.send(encodeFrame({ t: 'get', id: 1, hash: manifest.hash, index: 2 }));
    theirs.send(encodeFrame({ t: 'get', id: 2, hash: 'cd'.repeat(32) as never, index: 0 }));
    theirs.send(encodeFrame({ t: 'get', id: 3, hash: manifest.hash, index: 3 }));
    await net.advance(500);
    const answer = (id: number) => got.find((d) => d.ok && 'id' in d.header && d.header.id === id);
    const kind = (id: number) => {
      const a = answer(id);
      return a?.ok ? a.header.t : null;
    };
    const chunk = answer(1);
    expect(chunk?.ok && chunk.header.t).toBe('chunk');
    expect(chunk?.ok && Buffer.from(chunk.payload).equals(Buffer.from(bytes.subarray(2 * BLOB_CHUNK_BYTES)))).toBe(
      true,
    );
    expect(kind(2)).toBe('none');
    expect(kind(3)).toBe('none');
    expect(me.exchange.stats().bytesServed).toBe(10);
  });

  it('queues at most 64 requests of a peer while its channel drains, and answers the rest `none`', async () => {
    const net = new SimNetwork(9);
    const me = makeNode(net, 1, new Presence());
    const bytes = randomBlob(BLOB_CHUNK_BYTES, 4);
    const manifest = manifestOf(bytes);
    me.shelf.put(manifest.hash, bytes);
    let release: () => void = () => undefined;
    const sent: Uint8Array[] = [];
    const channel = {
      bufferedAmount: 4 * 1024 * 1024,
      drained: () => new Promise<void>((resolve) => (release = resolve)),
      send: (b: Uint8Array) => void sent.push(b),
      close: () => undefined,
    };
    const link = me.exchange.connect(channel);
    link.receive(encodeFrame({ t: 'hello', peer: 2 }));
    for (let i = 0; i < 100; i++) link.receive(encodeFrame({ t: 'get', id: i, hash: manifest.hash, index: 0 }));
    await new Promise((resolve) => setImmediate(resolve));
    const kinds = () => sent.map((b) => (decodeFrame(b) as { header: { t: string } }).header.t);
    expect(kinds().filter((t) => t === 'none')).toHaveLength(36);
    channel.bufferedAmount = 0;
    release();
    await expect.poll(() => kinds().filter((t) => t === 'chunk').length).toBe(64);
  });

  it('never returns wrong bytes, whatever the latencies and whichever peers lie (seeded runs)', async () => {
    for (let seed = 100; seed < 120; seed++) {
      const net = new SimNetwork(seed);
      const random = seededRandom(seed);
      const presence = new Presence();
      const bytes = randomBlob(Math.floor(random() * 8 * BLOB_CHUNK_BYTES) + 1, seed);
      const manifest = manifestOf(bytes);
      const me = makeNode(net, 1, presence);
      const peers = [2, 3, 4, 5].map((id) => makeNode(net, id, presence));
      const liars = new Set<number>();
      for (const p of peers) {
        p.shelf.put(manifest.hash, bytes);
        presence.say(p.id, manifest.hash);
        const lies = random() < 0.4;
        if (lies) liars.add(p.id);
        connect(net, p, me, lies ? { tamperA: corruptChunks } : {});
      }
      await net.advance(100);
      const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
      if (result.ok) expect(Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
      else expect(liars.size).toBe(peers.length);
      for (const drop of me.drops) expect(liars.has(drop.peer as number)).toBe(true);
    }
  });
});
