import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZING, fastestSpeed, keyCeiling, leaseSize } from './lease-size';

const base = { leaseSeconds: 600, room: 100_000, wanted: 4, seconds: DEFAULT_SIZING.targetSeconds };

describe('lease size', () => {
  it('gives a device 100× faster 100× the units, for the same time of work', () => {
    const slow = leaseSize({ ...base, speed: 1 });
    const fast = leaseSize({ ...base, speed: 100 });
    expect(slow.count).toBe(30);
    expect(fast.count).toBe(3000);
    expect(slow.leaseMs).toBe(fast.leaseMs);
  });

  it('makes the lease as long as the device needs for its units, with slack, within the job’s leaseSeconds', () => {
    // 300 units at 10/s: 30 s of work, twice that, plus 15 s of grace.
    expect(leaseSize({ ...base, speed: 10 })).toEqual({ count: 300, leaseMs: 75_000 });
    // Only 5 s of work left to hand out: 50 units, 2·5 + 15 s.
    expect(leaseSize({ ...base, speed: 10, seconds: 5 })).toEqual({ count: 50, leaseMs: 25_000 });
    // A very slow device still gets one unit, and no more time than the job allows.
    expect(leaseSize({ ...base, speed: 0.001 })).toEqual({ count: 1, leaseMs: 600_000 });
  });

  it('never hands out more than the device can finish before the job’s deadline, nor past its cap', () => {
    // leaseSeconds 60: at most (60 - 15) / 2 s of work, 22 units at 1/s, not the 30 the target asks.
    expect(leaseSize({ ...base, speed: 1, leaseSeconds: 60 })).toEqual({ count: 22, leaseMs: 59_000 });
    expect(leaseSize({ ...base, speed: 100, room: 256 }).count).toBe(256);
    expect(leaseSize({ ...base, speed: 100, room: 0 }).count).toBe(0);
  });

  it('gives a device with no speed for the job what it asked for, for the job’s leaseSeconds', () => {
    expect(leaseSize({ ...base, speed: null })).toEqual({ count: 4, leaseMs: 600_000 });
    expect(leaseSize({ ...base, speed: null, room: 2 })).toEqual({ count: 2, leaseMs: 600_000 });
  });

  it('hands out nothing more to a measured device once the request’s target time is spent', () => {
    expect(leaseSize({ ...base, speed: 10, seconds: 0 }).count).toBe(0);
  });

  it('lets a key hold what one lease sized to its reported speed gives, above the per-key cap, up to maxHeld', () => {
    expect(keyCeiling(256, null)).toBe(256);
    expect(keyCeiling(256, 0)).toBe(256);
    // 30 s of a phone's or a CPU tab's work is less than the cap: the cap stands.
    expect(keyCeiling(256, 0.5)).toBe(256);
    expect(keyCeiling(256, 8)).toBe(256);
    // cnn at 40 units/s needs 1200; a GPU at 2000/s would need 60,000 and gets maxHeld.
    expect(keyCeiling(256, 40)).toBe(1200);
    expect(keyCeiling(256, 2000)).toBe(DEFAULT_SIZING.maxHeld);
    // An operator's cap above maxHeld is kept.
    expect(keyCeiling(10_000, 2000)).toBe(10_000);
  });

  it("takes a report's fastest job as the device's speed", () => {
    expect(fastestSpeed(undefined)).toBeNull();
    expect(fastestSpeed([])).toBeNull();
    expect(fastestSpeed([{ unitsPerSecond: 3 }, { unitsPerSecond: 700 }, { unitsPerSecond: 0.2 }])).toBe(700);
  });
});
