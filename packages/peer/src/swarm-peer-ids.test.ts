// Whose a peer id is, in joinSwarm's real y-webrtc signaled through a bus that speaks /signal: every tab's peer id
// is read by the whole room (signals are sealed with the room's shared key), so a page names itself under the tag
// /signal relays its messages with, and takes a peer id only from the key whose tag it names. A page whose
// coordinator names no tag connects to nobody, and says so.
import { peerIdSender } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import { seal, tagOf, unseal } from './testing/signal-bus';
import { ROOM, useStalledSwarm } from './testing/stalled-swarm';

const OFFER = (who: string) => ({ type: 'offer', sdp: `v=0\r\no=${who} 1 1 IN IP4 0.0.0.0\r\n` });

describe("a page's peer ids", () => {
  const victim = useStalledSwarm('victim');

  const offer = async (sender: string, from: string, to: string, who: string) =>
    victim.bus.publish(
      sender,
      ROOM,
      await seal({ type: 'signal', from, to, token: Date.now(), signal: OFFER(who) }, victim.key),
    );

  it("another key speaking first as Alice's peer id does not keep Alice out", async () => {
    const { webrtc, swarm } = victim;
    const to = await victim.peerId();
    // Mallory answers the page's announce first, speaking as Alice's peer id (read from Alice's own announce).
    const alice = `${tagOf('alice')}.4b1d3c2e-0000-4000-8000-000000000001`;
    await offer('mallory', alice, to, 'mallory-sdp');
    // Alice's real offer follows.
    await offer('alice', alice, to, 'alice-sdp');
    await vi.waitFor(() => expect(webrtc.live.size).toBe(1), { timeout: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...webrtc.live].map((pc) => pc.remoteSdp ?? '').join()).toContain('alice-sdp');
    expect(webrtc.live.size).toBe(1);
    expect(swarm.view().refusedSignals.notTheirs).toBe(1);
  });

  it('names itself under the tag /signal said its messages carry, and announces itself under it', async () => {
    const to = await victim.peerId();
    expect(peerIdSender(to)).toBe(tagOf('victim'));
    await vi.waitFor(() => expect(victim.swarm.view().tagged).toBe(true), { timeout: 5000 });
  });
});

describe('a page whose coordinator names no tag', () => {
  const stranded = useStalledSwarm('stranded', { tellsSelf: false });

  it('keeps a peer id no peer takes, connects to nobody, and says so', async () => {
    const { bus, key, webrtc, swarm } = stranded;
    const announce = await vi.waitFor(
      () => {
        const found = bus.published.find((p) => p.key === 'stranded' && p.topic === ROOM);
        if (!found) throw new Error('no announce yet');
        return found;
      },
      { timeout: 5000 },
    );
    const own = ((await unseal(announce.data as string, key)) as { from: string }).from;
    expect(peerIdSender(own)).toBeNull();
    // A peer's offer is not taken: its own messages could be anyone's without the page's tag to answer under.
    bus.publish('alice', ROOM, await seal({ type: 'announce', from: `${tagOf('alice')}.tab` }, key));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(swarm.view()).toMatchObject({ signaling: true, tagged: false });
    expect(webrtc.live.size).toBe(0);
  });
});
