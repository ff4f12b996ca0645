import { describe, expect, it } from 'vitest';
import { SenderSlots, type SlotConn } from './sender-slots';
import { seededRandom } from './testing/sim-network';

/** y-webrtc's connections as the count sees them, and a tab's clock. */
function setup(maxPendingPerSender = 4, maxPerSender = 32) {
  let now = 0;
  const conns = new Map<string, { established: boolean }>();
  const slots = new SenderSlots({ maxPendingPerSender, maxPerSender, now: () => now });
  /** A message that would open a connection: let through, y-webrtc makes it (unestablished). */
  const offer = (sender: string, from: string) => {
    const verdict = slots.admit(sender, from, !conns.has(from), conns as ReadonlyMap<string, SlotConn>);
    if (verdict === 'pass' && !conns.has(from)) conns.set(from, { established: false });
    return verdict;
  };
  return { conns, slots, offer, advance: (ms: number) => (now += ms) };
}

describe("a page's connections per volunteer key", () => {
  it('lets one key hold at most its share of unestablished connections, whatever peer ids it makes up, while other keys still get in', () => {
    const { conns, slots, offer } = setup(4);
    const verdicts = Array.from({ length: 32 }, (_, i) => offer('mallory', `mallory.fake-${i}`));
    expect(verdicts.filter((v) => v === 'pass')).toHaveLength(4);
    expect(verdicts.slice(4).every((v) => v === 'over_share')).toBe(true);
    expect(conns.size).toBe(4);
    for (const honest of ['alice', 'bob', 'carol']) expect(offer(honest, `${honest}.tab`)).toBe('pass');
    expect(conns.size).toBe(7);
    expect(slots.refused).toEqual({ overShare: 28, notTheirs: 0 });
  });

  it('counts only connections not yet established: one that carries data frees its place in the share', () => {
    const { conns, offer } = setup(2);
    expect([offer('k', 'k.a'), offer('k', 'k.b'), offer('k', 'k.c')]).toEqual(['pass', 'pass', 'over_share']);
    conns.set('k.a', { established: true });
    expect(offer('k', 'k.c')).toBe('pass');
    expect(offer('k', 'k.d')).toBe('over_share');
  });

  it('holds one key to its share of working connections too, so that connections it completes cannot fill the page', () => {
    const { conns, offer, advance } = setup(2, 4);
    for (const peer of ['k.a', 'k.b', 'k.c', 'k.d']) {
      expect(offer('k', peer)).toBe('pass');
      conns.set(peer, { established: true });
    }
    expect(offer('k', 'k.e')).toBe('over_share');
    // Another key still gets in; one of the key's connections closed (past the grace) frees its place.
    expect(offer('other', 'other.x')).toBe('pass');
    conns.delete('k.a');
    expect(offer('k', 'k.e')).toBe('over_share');
    advance(5000);
    expect(offer('k', 'k.e')).toBe('pass');
  });

  it('passes what goes to a connection the key already has, and an offer again from a peer id it holds', () => {
    const { slots, conns, offer } = setup(1);
    expect(offer('k', 'k.a')).toBe('pass');
    // An ICE candidate, or a renegotiation, for the connection y-webrtc has: nothing opens.
    expect(slots.admit('k', 'k.a', false, conns)).toBe('pass');
    // The connection closed, and its peer offers again: it is not counted twice.
    conns.delete('k.a');
    expect(offer('k', 'k.a')).toBe('pass');
  });

  it("refuses a key speaking as a peer id another key's tag names, whether or not that key has spoken", () => {
    const { slots, conns, offer } = setup(4);
    // Before Alice has said anything: her peer ids are hers alone (they name her tag), and nobody's unnamed.
    expect(offer('mallory', 'alice.tab')).toBe('not_theirs');
    expect(offer('mallory', 'tab')).toBe('not_theirs');
    expect(offer('alice', 'alice.tab')).toBe('pass');
    // And to a connection that exists.
    expect(slots.admit('mallory', 'alice.tab', false, conns)).toBe('not_theirs');
    expect(offer('alice', 'alice.tab')).toBe('pass');
    expect(slots.refused.notTheirs).toBe(3);
  });

  it('counts a peer id let through before y-webrtc has made its connection, and forgets it once closed a while', () => {
    const { slots, conns, advance } = setup(2);
    // y-webrtc decrypts before it opens: two offers admitted, no connection yet.
    expect(slots.admit('k', 'k.a', true, conns)).toBe('pass');
    expect(slots.admit('k', 'k.b', true, conns)).toBe('pass');
    expect(slots.admit('k', 'k.c', true, conns)).toBe('over_share');
    // Never made (y-webrtc refused them, or the watchdog closed them): after the grace they no longer count.
    advance(5000);
    expect(slots.admit('k', 'k.c', true, conns)).toBe('pass');
    expect(slots.senderOf('k.a')).toBeUndefined();
  });

  it('keeps every key to its shares under a seeded storm of offers, establishments and closes', () => {
    const random = seededRandom(7);
    const { conns, offer, advance } = setup(4, 6);
    const owner = new Map<string, string>();
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    for (let step = 0; step < 5000; step++) {
      advance(Math.floor(random() * 50));
      const key = keys[Math.floor(random() * keys.length)] as string;
      const roll = random();
      if (roll < 0.6) {
        const from = `${key}.${Math.floor(random() * 40)}`;
        if (offer(key, from) === 'pass') owner.set(from, key);
      } else if (roll < 0.8) {
        const mine = [...conns.keys()].filter((peer) => owner.get(peer) === key);
        const some = mine[Math.floor(random() * mine.length)];
        if (some) conns.set(some, { established: true });
      } else {
        const some = [...conns.keys()][Math.floor(random() * conns.size)];
        if (some) conns.delete(some);
      }
      for (const k of keys) {
        const pending = [...conns].filter(([peer, c]) => owner.get(peer) === k && !c.established).length;
        expect(pending).toBeLessThanOrEqual(4);
        expect([...conns.keys()].filter((peer) => owner.get(peer) === k).length).toBeLessThanOrEqual(6);
      }
    }
  });
});
