// Crossing offers in joinSwarm's real y-webrtc, signaled through a bus that speaks /signal, over connections that
// never connect: a peer announces itself (the page opens a connection and starts an offer) and offers to the page
// at the same time. The page answers that offer on a fresh answering connection, not on the one that offered.
import { describe, expect, it, vi } from 'vitest';
import { BLOB_CHANNEL_LABEL } from './blob-channel';
import { seal } from './testing/signal-bus';
import { ROOM, useStalledSwarm } from './testing/stalled-swarm';

/** Whether the connection offers: it made simple-peer's data channel (every one makes the blob channel). */
const offers = (pc: { channels: string[] }) => pc.channels.some((label) => label !== BLOB_CHANNEL_LABEL);

describe('offers that cross', () => {
  const joined = useStalledSwarm('page');

  it("answers a peer's offer that crossed its own on a fresh connection, and closes the one that offered", async () => {
    const { bus, webrtc, key } = joined;
    const page = await joined.peerId();
    // Bob's announce reaches the page as the page's reached Bob: each opens a connection and offers.
    bus.publish('bob', ROOM, await seal({ type: 'announce', from: 'tag:bob.tab' }, key));
    await vi.waitFor(() => expect([...webrtc.live].filter(offers)).toHaveLength(1), { timeout: 5000 });
    const offering = [...webrtc.live][0];
    const sdp = 'v=0\r\no=bob.tab 1 1 IN IP4 0.0.0.0\r\n';
    const signal = { type: 'offer', sdp };
    bus.publish(
      'bob',
      ROOM,
      await seal({ type: 'signal', from: 'tag:bob.tab', to: page, token: Date.now(), signal }, key),
    );
    // Bob's offer is answered by a connection that did not offer (it made no data channel of its own: it takes
    // Bob's), and the page's own offer is withdrawn: simple-peer's offering side would never hear Bob's channel.
    await vi.waitFor(() => expect([...webrtc.live].map((pc) => [pc.remoteSdp, offers(pc)])).toEqual([[sdp, false]]), {
      timeout: 5000,
    });
    expect(webrtc.live.has(offering as never)).toBe(false);
  });
});
