import { BLOB_CHUNK_BYTES } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './frames';
import { SimNetwork } from './testing/sim-network';
import { connect, makeNode, manifestOf, Presence, randomBlob } from './testing/blob-nodes';

describe('the blob exchange, serving', () => {
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

  it("holds an impostor's claim of a linked peer's id against the impostor's key only: the peer stays linked, undenied and unblamed", async () => {
    const net = new SimNetwork(12);
    const presence = new Presence();
    const bytes = randomBlob(3 * BLOB_CHUNK_BYTES, 6);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const honest = makeNode(net, 2, presence);
    honest.shelf.put(manifest.hash, bytes);
    presence.say(2, manifest.hash);
    const [, honestAtMe] = connect(net, honest, me);
    await net.advance(100);

    // Another key's connection says it is peer 2 (awareness ids are anyone's to claim), or this tab, then breaks
    // the protocol.
    for (const claimed of [2, 1]) {
      const [impostor, mine] = net.pair();
      const link = me.exchange.connect(mine, `mallory-${claimed}`);
      mine.onMessage = (m) => link.receive(m);
      impostor.send(encodeFrame({ t: 'hello', peer: claimed }));
      impostor.send(new Uint8Array([1, 2, 3]));
      await net.advance(100);
      expect(mine.closed).toBe(true);
    }

    // The real peer 2 is neither denied nor blamed, still linked, and still serves the blob.
    expect(honestAtMe.closed).toBe(false);
    expect(me.exchange.denied(honest.sender)).toBe(false);
    expect(me.exchange.denied('mallory-2')).toBe(true);
    expect(me.exchange.stats().dropped.map((d) => d.sender)).toEqual(['mallory-2', 'mallory-1']);
    expect(me.exchange.stats().dropped[1]?.reason).toContain("this tab's own id");
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
});
