// A blob channel's hello is a claim of an awareness id that any peer can make: whoever says an id first must not
// get the real holder of it refused, closed, denied or blamed; and a channel that never says hello is not kept.
import { BLOB_CHUNK_BYTES } from '@bricolage/protocol/peer';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from './frames';
import { connect, makeNode, manifestOf, Presence, randomBlob } from './testing/blob-nodes';
import { SimNetwork } from './testing/sim-network';

describe("a blob channel's hello", () => {
  it("an impostor that claims a holder's id first cannot get the holder denied, blamed or unlinked", async () => {
    const net = new SimNetwork(31);
    const presence = new Presence();
    const bytes = randomBlob(3 * BLOB_CHUNK_BYTES, 6);
    const manifest = manifestOf(bytes);
    const me = makeNode(net, 1, presence);
    const honest = makeNode(net, 2, presence);
    honest.shelf.put(manifest.hash, bytes);
    presence.say(2, manifest.hash); // peer 2's awareness says it holds the blob; anyone in the room reads that

    // Mallory's own connection to me, whose blob channel has said nothing yet.
    const [impostor, mine] = net.pair();
    const link = me.exchange.connect(mine, 'mallory');
    mine.onMessage = (m) => link.receive(m);
    impostor.onMessage = () => undefined;
    // Peer 2 is in the room but its connection with me is still forming: Mallory says hello as 2, then breaks the protocol.
    impostor.send(encodeFrame({ t: 'hello', peer: 2 }));
    await net.advance(50);
    impostor.send(new Uint8Array([1, 2, 3]));
    await net.advance(50);

    // Now the real peer 2's channel opens.
    connect(net, honest, me);
    await net.advance(100);

    // Held against Mallory's key, whose connection it was, not against the id it said.
    expect(me.exchange.stats().dropped.map((d) => d.sender)).toEqual(['mallory']);
    expect(me.exchange.denied('mallory')).toBe(true);
    expect(me.exchange.denied(honest.sender)).toBe(false);
    expect(me.exchange.peers()).toContain(2);
    const result = await net.run(me.exchange.fetch(manifest.hash, manifest));
    expect(result.ok).toBe(true);
  });

  it("a squatted id, even with no misbehaviour, does not get the honest peer's connection closed", async () => {
    const net = new SimNetwork(32);
    const presence = new Presence();
    const me = makeNode(net, 1, presence);
    const honest = makeNode(net, 2, presence);
    const [impostor, mine] = net.pair();
    const link = me.exchange.connect(mine, 'mallory');
    mine.onMessage = (m) => link.receive(m);
    impostor.onMessage = () => undefined;
    impostor.send(encodeFrame({ t: 'hello', peer: 2 }));
    await net.advance(50);
    const [, honestAtMe] = connect(net, honest, me);
    await net.advance(100);
    expect(honestAtMe.closed).toBe(false);
    // Nor the first claim's: which of the two is peer 2 is for each chunk's check to show.
    expect(mine.closed).toBe(false);
    expect(me.exchange.peers()).toEqual([2, 2]);
  });

  it('closes a channel that says no hello in time, without holding it against its key', async () => {
    const net = new SimNetwork(33);
    const me = makeNode(net, 1, new Presence(), { helloTimeoutMs: 5000 });
    const [silent, mine] = net.pair();
    const link = me.exchange.connect(mine, 'quiet');
    mine.onMessage = (m) => link.receive(m);
    silent.onMessage = () => undefined;
    await net.advance(4900);
    expect(mine.closed).toBe(false);
    await net.advance(200);
    expect(mine.closed).toBe(true);
    expect(me.drops).toEqual([{ peer: null, reason: 'said no hello in 5000 ms' }]);
    expect(me.exchange.denied('quiet')).toBe(false);
  });
});
