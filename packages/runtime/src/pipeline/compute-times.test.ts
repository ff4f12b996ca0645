import { describe, expect, it } from 'vitest';
import { ComputeTimes } from './compute-times';

describe('ComputeTimes', () => {
  it('counts overlapping units once, each adding only what it extended the busy time by', () => {
    const times = new ComputeTimes();
    expect(times.record('j', 0, 100)).toBe(100);
    // In flight beside the first: only its last 50 ms were not already busy.
    expect(times.record('j', 20, 150)).toBe(50);
    // Inside the busy time altogether: adds nothing.
    expect(times.record('j', 30, 140)).toBe(0);
    // After a gap: its whole span.
    expect(times.record('j', 200, 260)).toBe(60);
    expect(times.total).toBe(210);
    expect(times.firstAt).toBe(0);
  });

  it('averages the added time, and reports a job only once measured enough', () => {
    const times = new ComputeTimes();
    expect(times.average).toBeNull();
    expect(times.meter.dutyCycle(0)).toBeNull();
    times.record('j', 0, 100);
    expect(times.average).toBe(100);
    expect(times.speeds.report(1)).toEqual([]);
    times.record('j', 100, 150);
    times.record('j', 150, 200);
    expect(times.speeds.report(1)).toEqual([{ job: 'j', unitsPerSecond: 20 }]);
    // The meter saw the units too (throttle.test.ts pins down its arithmetic).
    expect(times.meter.dutyCycle(200)).toBeGreaterThan(0);
  });
});
