import { describe, expect, it } from 'vitest';
import { seededRandom } from '../clock';
import { conflict, DEFAULT_SEPARATION, Draw, type Holder, mayHold, networkOf, sample } from './assignment';

const HOUR = 3600_000;
const key = (volunteer: string, address: string, firstSeen: number): Holder => ({
  volunteer,
  address,
  network: networkOf(address),
  firstSeen,
});

describe('replica separation', () => {
  const now = 100 * HOUR;

  it('keeps two keys of one address off the same unit, however far apart they arrived', () => {
    expect(conflict(key('a', '10.0.0.1', 0), key('b', '10.0.0.1', 50 * HOUR), now, DEFAULT_SEPARATION)).toBe(
      'same address',
    );
  });

  it('keeps keys that one network brought in a burst apart while they are young', () => {
    const a = key('a', '198.51.100.1', now - 1000);
    const b = key('b', '198.51.100.2', now - 60_000);
    expect(conflict(a, b, now, DEFAULT_SEPARATION)).toBe('same burst of new keys from one network');
    // A day later the burst is history: two old keys that happened to arrive together may pair.
    expect(conflict(a, b, now + 25 * HOUR, DEFAULT_SEPARATION)).toBeNull();
  });

  it('lets a crowd arriving at once from many networks check each other', () => {
    expect(conflict(key('a', '198.51.100.1', now), key('b', '203.0.113.9', now), now, DEFAULT_SEPARATION)).toBeNull();
  });

  it('lets keys from one network pair once they arrived far enough apart', () => {
    expect(
      conflict(key('a', '198.51.100.1', now - 2 * HOUR), key('b', '198.51.100.2', now), now, DEFAULT_SEPARATION),
    ).toBeNull();
  });

  it('lets the keys of exempt addresses (the operator’s own farm) pair, never a key with itself', () => {
    const farm = (volunteer: string, address: string) => ({ ...key(volunteer, address, now), exempt: true });
    expect(conflict(farm('a', '127.0.0.1'), farm('b', '127.0.0.1'), now, DEFAULT_SEPARATION)).toBeNull();
    expect(conflict(farm('a', '127.0.0.1'), farm('b', '127.0.0.2'), now, DEFAULT_SEPARATION)).toBeNull();
    expect(conflict(farm('a', '127.0.0.1'), farm('a', '127.0.0.1'), now, DEFAULT_SEPARATION)).toBe('same key');
    // An exempt key and one that is not are held to the rule: a stranger cannot pair with the farm's address.
    expect(conflict(farm('a', '10.0.0.1'), key('b', '10.0.0.1', now), now, DEFAULT_SEPARATION)).toBe('same address');
  });

  it('checks a candidate against every holder of the unit', () => {
    const holders = [key('a', '10.0.0.1', 0), key('b', '10.0.1.2', 2 * HOUR)];
    expect(mayHold(holders, key('c', '10.0.2.3', 4 * HOUR), now, DEFAULT_SEPARATION)).toBe(true);
    expect(mayHold(holders, key('c', '10.0.1.2', 4 * HOUR), now, DEFAULT_SEPARATION)).toBe(false);
    expect(mayHold([], key('c', '10.0.1.2', 4 * HOUR), now, DEFAULT_SEPARATION)).toBe(true);
  });

  it('names an address’s network by its /24 or /48', () => {
    expect(networkOf('198.51.100.77')).toBe('198.51.100');
    expect(networkOf('2001:db8:1:2::/64')).toBe('2001:db8:1');
  });
});

describe('randomised assignment', () => {
  const units = Array.from({ length: 100 }, (_, i) => i);

  it('draws distinct units, replayably from a seed, leaving the window as it was', () => {
    const a = sample(units, 10, seededRandom(1));
    expect(new Set(a).size).toBe(10);
    expect(sample(units, 10, seededRandom(1))).toEqual(a);
    expect(units).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sample(units, 500, seededRandom(1))).toHaveLength(100);
  });

  it('gives two keys leasing back to back different units, where id order gave both the same', () => {
    const random = seededRandom(42);
    let shared = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const first = new Set(sample(units, 4, random));
      shared += sample(units, 4, random).filter((u) => first.has(u)).length;
    }
    // Expected overlap of two draws of 4 from 100: 4 × 4 / 100 = 0.16 units per pair, against 4 in id order.
    expect(shared / 1000).toBeGreaterThan(0.1);
    expect(shared / 1000).toBeLessThan(0.25);
  });

  it('draws a few at a time in the very order of one draw, the first part being what sample gives', () => {
    const whole = new Draw(units, seededRandom(7)).take(30);
    const parts = new Draw(units, seededRandom(7));
    expect([...parts.take(1), ...parts.take(9), ...parts.take(20)]).toEqual(whole);
    expect(parts.left).toBe(70);
    expect(new Draw(units, seededRandom(9)).take(12)).toEqual(sample(units, 12, seededRandom(9)));
    const rest = new Draw(units.slice(0, 5), seededRandom(1));
    expect(rest.take(3)).toHaveLength(3);
    expect(rest.take(10)).toHaveLength(2);
    expect(rest.take(1)).toEqual([]);
  });

  it('draws every unit of the window about equally often', () => {
    const random = seededRandom(3);
    const hits = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) for (const u of sample(units.slice(0, 10), 1, random)) hits[u]!++;
    for (const h of hits) expect(Math.abs(h - 1000)).toBeLessThan(150);
  });
});
