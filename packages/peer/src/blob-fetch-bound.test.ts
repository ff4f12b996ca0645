// How long a fetch from peers may take: a holder that answers slowly but in time, or withholds one chunk while it
// answers others, no longer holds it for chunks × timeout (peer-review.md, finding 4); an honest slow link is
// still waited for. makeNode's chunk timeout is 1 s (10 s in the swarm); the minimum pace is the swarm's.
import { BLOB_CHUNK_BYTES } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './frames';
import { connect, makeNode, manifestOf, Presence, randomBlob } from './testing/blob-nodes';
import { type SimEnd, SimNetwork } from './testing/sim-network';

/** A holder by hand on `net`: says hello as `id`, then answers what it is asked through `answer`. */
function handHolder(net: SimNetwork, me: ReturnType<typeof makeNode>, id: number) {
  const [theirs, mine] = net.pair();
  const link = me.exchange.connect(mine);
  mine.onMessage = (m) => link.receive(m);
  const asked: { id: number; index: number }[] = [];
  theirs.onMessage = (m) => {
    const d = decodeFrame(m);
    if (d.ok && d.header.t === 'get') asked.push({ id: d.header.id, index: d.header.index });
  };
  theirs.send(encodeFrame({ t: 'hello', peer: id }));
  return { theirs, asked };
}

function answer(end: SimEnd, bytes: Uint8Array, hash: string, r: { id: number; index: number }): void {
  end.send(
    encodeFrame(
      { t: 'chunk', id: r.id, hash: hash as never, index: r.index },
      bytes.subarray(r.index * BLOB_CHUNK_BYTES, (r.index + 1) * BLOB_CHUNK_BYTES),
    ),
  );
}

describe('a fetch from slow holders', () => {
  it('gives up on a holder that answers one request just under each timeout, so the caller asks the coordinator', async () => {
    // From the review: 40 chunks, one every 0.9 s, took 36 s here (36 minutes in the swarm for a 14 MB asset).
    const net = new SimNetwork(41);
    const presence = new Presence();
    const bytes = randomBlob(40 * BLOB_CHUNK_BYTES, 3);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    presence.say(2, manifest.hash);
    const { theirs, asked } = handHolder(net, me, 2);
    const drip = () => {
      const r = asked.shift();
      if (r) answer(theirs, bytes, manifest.hash, r);
      net.timers.set(drip, 900);
    };
    net.timers.set(drip, 900);
    await net.advance(100);

    const started = net.now();
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok).toBe(false);
    expect(result.ok || result.reason).toMatch(/^peers too slow/);
    // Three timeouts and the pace checked: well under 10 timeouts.
    expect(net.now() - started).toBeLessThan(4000);
  });

  it('asks another holder, in the final stretch, for the chunks a trickling holder still keeps', async () => {
    const net = new SimNetwork(42);
    const presence = new Presence();
    const bytes = randomBlob(40 * BLOB_CHUNK_BYTES, 4);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const { theirs, asked } = handHolder(net, me, 2);
    presence.say(2, manifest.hash);
    const honest = makeNode(net, 3, presence);
    honest.shelf.put(manifest.hash, bytes);
    presence.say(3, manifest.hash);
    // The honest one's link is slow enough that the trickler is asked its share (64 KiB per 20 ms).
    connect(net, honest, me, { bytesPerMs: BLOB_CHUNK_BYTES / 20 });
    const drip = () => {
      const r = asked.shift();
      if (r) answer(theirs, bytes, manifest.hash, r);
      net.timers.set(drip, 900);
    };
    net.timers.set(drip, 900);
    await net.advance(100);

    const started = net.now();
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
    // The honest link alone takes 0.8 s; the trickler's chunks are asked again after half a timeout.
    expect(net.now() - started).toBeLessThan(1500);
  });

  it('loses a chunk it withholds while answering the others within a timeout of its turn', async () => {
    // Answered every other request, it kept the withheld one alive until the link fell quiet (20 s here).
    const net = new SimNetwork(43);
    const presence = new Presence();
    const bytes = randomBlob(40 * BLOB_CHUNK_BYTES, 5);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    presence.say(2, manifest.hash);
    const { theirs, asked } = handHolder(net, me, 2);
    const serve = () => {
      const i = asked.findIndex((r) => r.index !== 0);
      if (i >= 0) answer(theirs, bytes, manifest.hash, asked.splice(i, 1)[0] as { id: number; index: number });
      net.timers.set(serve, 100);
    };
    net.timers.set(serve, 100);
    await net.advance(100);

    const started = net.now();
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result).toEqual({ ok: false, reason: 'every peer that held it failed or left' });
    expect(net.now() - started).toBeLessThan(3000);
  });

  it('waits for an honest slow link delivering a few hundred KB/s, however big the blob', async () => {
    const net = new SimNetwork(44);
    const presence = new Presence();
    const bytes = randomBlob(96 * BLOB_CHUNK_BYTES, 6);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const slow = makeNode(net, 2, presence);
    slow.shelf.put(manifest.hash, bytes);
    presence.say(2, manifest.hash);
    // 200 KB/s: 6 MiB in about 31 s, each request queued behind seven others for 2.6 s (over twice the timeout).
    connect(net, slow, me, { bytesPerMs: 200 });
    await net.advance(100);
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest), 100_000);
    expect(result.ok && Buffer.from(result.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(me.drops).toEqual([]);
  });
});
