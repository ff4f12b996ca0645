// A page's WebRTC slots against one signed-in key's fake offers: joinSwarm's real y-webrtc, signaling through a
// bus that speaks /signal, connections that never connect. The key makes up a peer id per offer; the page still
// answers at most its share, and a real peer's offer still opens a connection.
import { describe, expect, it, vi } from 'vitest';
import { roomKey, seal } from './testing/signal-bus';
import { ROOM, useStalledSwarm } from './testing/stalled-swarm';

const OFFER = (who: string) => ({ type: 'offer', sdp: `v=0\r\no=${who} 1 1 IN IP4 0.0.0.0\r\n` });

describe("a page's WebRTC slots", () => {
  const victim = useStalledSwarm('victim');

  const offer = async (sender: string, from: string, to: string) =>
    victim.bus.publish(
      sender,
      ROOM,
      await seal({ type: 'signal', from, to, token: Date.now(), signal: OFFER(from) }, victim.key),
    );

  /** Connections the page holds, by whose offer made them (its SDP names the offering peer id). */
  const opened = () => [...victim.webrtc.live].map((pc) => pc.remoteSdp ?? '');

  it("holds one key's fake offers to its share of the page's connections, and still answers a real peer", async () => {
    const { bus, webrtc, swarm, key } = victim;
    const to = await victim.peerId();
    for (let i = 0; i < 40; i++) await offer('mallory', `tag:mallory.fake-${i}`, to);
    // Announces from made-up peer ids would have the page start connections itself: the same share holds.
    for (let i = 0; i < 20; i++)
      bus.publish('mallory', ROOM, await seal({ type: 'announce', from: `tag:mallory.ann-${i}` }, key));
    await offer('alice', 'tag:alice.tab', to);
    // Relayed and read in order: once Alice's offer has its connection, everything before it was dealt with.
    await vi.waitFor(() => expect(opened().filter((sdp) => sdp.includes('tag:alice.tab'))).toHaveLength(1), {
      timeout: 5000,
    });
    expect(opened().filter((sdp) => sdp.includes('fake-'))).toHaveLength(4);
    expect(webrtc.live.size).toBe(5);
    expect(swarm.view().refusedSignals).toEqual({ overShare: 36 + 20, notTheirs: 0, unreadable: 0 });
  });

  it("refuses a key speaking as another key's peer id, and what is not sealed with the room's key", async () => {
    const { bus, webrtc, swarm } = victim;
    const to = await victim.peerId();
    await offer('alice', 'tag:alice.tab', to);
    await vi.waitFor(() => expect(webrtc.live.size).toBe(1), { timeout: 5000 });
    await offer('mallory', 'tag:alice.tab', to);
    const otherKey = await roomKey('another secret', ROOM);
    bus.publish(
      'mallory',
      ROOM,
      await seal({ type: 'signal', from: 'tag:mallory.x', to, signal: OFFER('x') }, otherKey),
    );
    bus.publish('mallory', ROOM, { type: 'signal', from: 'y', to, signal: OFFER('y') });
    await vi.waitFor(() => expect(swarm.view().refusedSignals).toEqual({ overShare: 0, notTheirs: 1, unreadable: 2 }), {
      timeout: 5000,
    });
    expect(webrtc.live.size).toBe(1);
  });
});
