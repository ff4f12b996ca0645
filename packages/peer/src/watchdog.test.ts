import { describe, expect, it } from 'vitest';
import { seededRandom } from './testing/sim-network';
import { type WatchedConn, Watchdog } from './watchdog';

class FakeConn implements WatchedConn {
  connected = false;
  synced = false;
  closed = false;
  destroyed = 0;
  destroy(): void {
    this.destroyed++;
    this.closed = true;
    this.connected = false;
  }
}

function setup() {
  let now = 0;
  const conns = new Map<string, FakeConn>();
  const resets: [string, string][] = [];
  const heard = new Set<WatchedConn>();
  const dog = new Watchdog({
    conns: () => conns.entries(),
    now: () => now,
    heard: (conn) => heard.has(conn),
    onReset: (peer, why) => resets.push([peer, why]),
  });
  return { conns, resets, dog, heard, advance: (ms: number) => (now += ms) };
}

describe('the connection watchdog', () => {
  it('keeps a connection that carries data though y-webrtc never marked it synced (added to a synced room)', () => {
    const { conns, resets, dog, heard, advance } = setup();
    const late = new FakeConn();
    conns.set('late', late);
    late.connected = true;
    dog.tick();
    heard.add(late);
    for (let i = 0; i < 60; i++) {
      advance(1000);
      expect(dog.tick()).toBe(0);
    }
    expect([late.destroyed, resets]).toEqual([0, []]);
  });

  it('resets a connection that connected and never synced, once, after the sync timeout', () => {
    const { conns, resets, dog, advance } = setup();
    const stuck = new FakeConn();
    conns.set('a', stuck);
    stuck.connected = true;
    dog.tick();
    advance(4999);
    expect(dog.tick()).toBe(0);
    advance(1);
    expect(dog.tick()).toBe(1);
    expect(stuck.destroyed).toBe(1);
    expect(resets).toEqual([['a', 'connected but never synced']]);
    // y-webrtc removes a closed connection; until then the watchdog leaves it alone.
    advance(10_000);
    expect(dog.tick()).toBe(0);
    expect(dog.resets).toBe(1);
  });

  it('leaves synced connections alone, and resets one that never connects after the connect timeout', () => {
    const { conns, resets, dog, advance } = setup();
    const good = new FakeConn();
    good.connected = true;
    good.synced = true;
    const never = new FakeConn();
    conns.set('good', good);
    conns.set('never', never);
    dog.tick();
    advance(14_999);
    expect(dog.tick()).toBe(0);
    advance(1);
    expect(dog.tick()).toBe(1);
    expect(good.destroyed).toBe(0);
    expect(resets).toEqual([['never', 'never connected']]);
  });

  it('counts time from when it first saw a connection connected, not from when it first saw it', () => {
    const { conns, dog, advance } = setup();
    const slow = new FakeConn();
    conns.set('slow', slow);
    dog.tick();
    advance(10_000);
    slow.connected = true;
    dog.tick();
    advance(4000);
    expect(dog.tick()).toBe(0);
    slow.synced = true;
    advance(10_000);
    expect(dog.tick()).toBe(0);
  });

  it('in seeded runs, resets exactly the connections that stay stuck past their timeout', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const { conns, dog, advance } = setup();
      // When each connection connects and syncs, in 100 ms steps; Infinity: never.
      const plans = new Map<FakeConn, { connectAt: number; syncAt: number }>();
      for (let i = 0; i < 8; i++) {
        const conn = new FakeConn();
        conns.set(`p${i}`, conn);
        const connectAt = random() < 0.2 ? Number.POSITIVE_INFINITY : Math.floor(random() * 30) * 100;
        const syncAt = random() < 0.2 ? Number.POSITIVE_INFINITY : connectAt + Math.floor(random() * 80) * 100;
        plans.set(conn, { connectAt, syncAt });
      }
      for (let t = 0; t <= 40_000; t += 100) {
        for (const [conn, plan] of plans) {
          if (conn.closed) continue;
          if (t >= plan.connectAt) conn.connected = true;
          if (t >= plan.syncAt) conn.synced = true;
        }
        dog.tick();
        advance(100);
      }
      for (const [conn, { connectAt, syncAt }] of plans) {
        const stuck = connectAt > 15_000 || syncAt - connectAt > 5000;
        expect(conn.destroyed).toBe(stuck ? 1 : 0);
      }
    }
  });
});
