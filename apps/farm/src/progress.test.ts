import { describe, expect, it } from 'vitest';
import { describeOverall, gridTotals, ProgressMeter } from './progress';

describe('ProgressMeter', () => {
  it('rates over the last minute and extrapolates to the target', () => {
    const m = new ProgressMeter(60_000);
    expect(m.overall(100)).toBeNull();
    m.add({ at: 0, done: 0 });
    expect(m.overall(100)).toEqual({ done: 0, target: 100, perMinute: null, etaMs: null });
    m.add({ at: 30_000, done: 10 });
    m.add({ at: 60_000, done: 20 });
    expect(m.overall(100)).toEqual({ done: 20, target: 100, perMinute: 20, etaMs: 240_000 });
    // A minute later at a slower pace, the first half of the old window no longer counts.
    m.add({ at: 90_000, done: 25 });
    m.add({ at: 120_000, done: 30 });
    expect(m.overall(100)?.perMinute).toBe(10);
    expect(m.overall(30)?.etaMs).toBe(0);
  });

  it('has no ETA while nothing finishes, and ignores a sample from the past', () => {
    const m = new ProgressMeter();
    m.add({ at: 1000, done: 5 });
    m.add({ at: 500, done: 1 });
    m.add({ at: 61_000, done: 5 });
    expect(m.overall(10)).toEqual({ done: 5, target: 10, perMinute: 0, etaMs: null });
  });
});

describe('gridTotals and describeOverall', () => {
  const counts = (validated: number, failed: number, unsent: number, in_progress: number, cancelled = 0) => ({
    validated,
    failed,
    unsent,
    in_progress,
    cancelled,
  });
  it('sums finished and live work units over every job, cancelled ones left out', () => {
    const statuses = [
      { jobs: [{ counts: counts(10, 1, 80, 9, 50) }, { counts: counts(5, 0, 0, 0) }] },
      { jobs: [{ counts: counts(0, 0, 100, 0) }] },
    ];
    expect(gridTotals(statuses as never)).toEqual({ done: 16, total: 205 });
  });
  it('reads as done/target, rate and ETA', () => {
    expect(describeOverall({ done: 1234, target: 4800, perMinute: 38.25, etaMs: 5_595_000 }, 'finished')).toBe(
      '1,234/4,800 finished (25.7%)  38.3/min  ETA 93 min',
    );
    expect(describeOverall({ done: 0, target: 4800, perMinute: 40, etaMs: 7_200_000 }, 'finished')).toBe(
      '0/4,800 finished (0.0%)  40.0/min  ETA 2.0 h',
    );
    expect(describeOverall({ done: 3, target: 3, perMinute: null, etaMs: 0 }, 'validated')).toBe(
      '3/3 validated (100.0%)  -/min  done',
    );
  });
});
