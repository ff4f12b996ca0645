import { BLOB_CHUNK_BYTES } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './testing/sim-network';
import { decodeFrame, encodeFrame } from './frames';
import { SimNetwork } from './testing/sim-network';
import {
  type Node,
  chunksAskedBy,
  connect,
  corruptChunks,
  makeNode,
  manifestOf,
  Presence,
  randomBlob,
} from './testing/blob-nodes';

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

    const started = net.now();
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
    // Its wrong chunk asked of the honest peer at once, not once it is late (half the 1 s timeout).
    expect(net.now() - started).toBeLessThan(300);
    expect(me.drops).toEqual([{ peer: 3, reason: expect.stringContaining('wrong chunk') }]);
    expect(me.exchange.stats().dropped).toMatchObject([{ sender: liar.sender, claimed: 3 }]);
    expect(me.exchange.stats().rejectedChunks).toBeGreaterThanOrEqual(1);
    expect(me.exchange.denied(liar.sender)).toBe(true);
    expect(myEndToLiar.closed).toBe(true);
    await net.advance(100);
    expect(liarEnd.closed).toBe(true);

    // The liar's key comes back on a new connection: it is closed at once and asked nothing.
    const [, mine] = connect(net, liar, me);
    await net.advance(100);
    expect(mine.closed).toBe(true);
    const again = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(again.ok).toBe(true);
    expect(chunksAskedBy(mine)).toBe(0);
    // Reported once: the refusal is not a new report.
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
