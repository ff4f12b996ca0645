import { describe, expect, it } from 'vitest';
import { closeLosing, type GlareConn, losingOffer } from './glare';

function conn(init: Partial<Pick<GlareConn, 'connected' | 'closed' | 'glareToken'>> & { initiator?: boolean } = {}) {
  return {
    connected: init.connected ?? false,
    closed: init.closed ?? false,
    glareToken: init.glareToken,
    peer: { initiator: init.initiator ?? true },
    destroyed: 0,
    destroy() {
      this.destroyed++;
    },
  };
}

const offer = (from: string, token: unknown) => ({ type: 'signal', from, to: 'me', token, signal: { type: 'offer' } });

describe('crossing offers', () => {
  it("finds this tab's unconnected offering connection when the remote offer would be answered on it", () => {
    const mine = conn({ glareToken: 100 });
    const conns = new Map([['bob', mine]]);
    // y-webrtc answers the remote offer unless its own token is the larger.
    expect(losingOffer(conns, offer('bob', 200))).toBe(mine);
    expect(losingOffer(conns, offer('bob', 100))).toBe(mine);
    expect(losingOffer(conns, offer('bob', 50))).toBeNull();
    // Before this tab has offered (no token yet), and for an offer without a token, y-webrtc answers too.
    expect(losingOffer(new Map([['bob', conn()]]), offer('bob', 50))).not.toBeNull();
    expect(losingOffer(conns, offer('bob', undefined))).toBe(mine);
  });

  it('leaves alone what is no glare: an answer, another peer, a connection that answers, is connected or closed', () => {
    const conns = new Map<string, unknown>([
      ['answering', conn({ initiator: false })],
      ['connected', conn({ connected: true })],
      ['closed', conn({ closed: true })],
      ['bob', conn()],
    ]);
    expect(losingOffer(conns, { type: 'signal', from: 'bob', signal: { type: 'answer' } })).toBeNull();
    expect(losingOffer(conns, { type: 'announce', from: 'bob' })).toBeNull();
    for (const from of ['nobody', 'answering', 'connected', 'closed'])
      expect(losingOffer(conns, offer(from, 9))).toBeNull();
  });

  it('closes the losing connection and waits until y-webrtc has let it go, or gives up after a while', async () => {
    const conns = new Map<string, unknown>();
    const losing = conn();
    conns.set('bob', losing);
    // y-webrtc forgets a connection on simple-peer's close, a tick after destroy.
    losing.destroy = () => {
      losing.destroyed++;
      setTimeout(() => conns.delete('bob'), 20);
    };
    await expect(closeLosing(conns, 'bob', losing)).resolves.toBe(true);
    expect([losing.destroyed, conns.has('bob')]).toEqual([1, false]);

    const stuck = conn();
    conns.set('carol', stuck);
    const started = Date.now();
    await expect(closeLosing(conns, 'carol', stuck, 50)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});
