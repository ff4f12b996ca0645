import type { JobProgress } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { addSample, eta, type Sample, sampleOf, throughput, throughputChart } from './series';

const s = (at: number, finished: number, active = 1): Sample => ({ at, finished, active });

describe('throughput', () => {
  it('is units per minute over the window before each sample, null until a second has passed', () => {
    const samples = [s(0, 0), s(500, 1), s(1000, 2), s(11_000, 12), s(40_000, 12)];
    expect(throughput(samples, 15_000)).toEqual([null, null, 120, (12 / 11_000) * 60_000, 0]);
  });
});

describe('eta', () => {
  it('extrapolates the last minute: 30 units in 60 s leaves 90 for three minutes', () => {
    const samples = [s(0, 0), s(30_000, 10), s(90_000, 40)];
    expect(eta(samples, 90)).toBe(180_000);
  });
  it('has none without progress, and is zero when nothing remains', () => {
    expect(eta([s(0, 5), s(60_000, 5)], 10)).toBeNull();
    expect(eta([], 10)).toBeNull();
    expect(eta([], 0)).toBe(0);
  });
});

describe('addSample', () => {
  it('replaces a sample at the same instant, drops one from the past, and thins old samples', () => {
    expect(addSample([s(0, 0), s(5, 1)], s(5, 2))).toEqual([s(0, 0), s(5, 2)]);
    expect(addSample([s(10, 0)], s(5, 2))).toEqual([s(10, 0)]);
    let many: Sample[] = [];
    for (let i = 0; i < 4001; i++) many = addSample(many, s(i, i));
    expect(many.length).toBeLessThan(4001);
    expect(many.at(-1)).toEqual(s(4000, 4000));
    expect(many.slice(-2000).map((x) => x.at)).toEqual(Array.from({ length: 2000 }, (_, i) => 2001 + i));
  });
});

describe('throughputChart', () => {
  it('says a job that ended before the page opened has no run to chart, and draws nothing', () => {
    for (const samples of [[], [s(0, 1000, 0)], [s(0, 1000, 0), s(900, 1000, 0)]])
      expect(throughputChart('completed', samples, false)).toEqual({
        drawn: false,
        caption:
          'the job was completed before this page opened: the charts cover only what this page watched, so there is no run to chart',
      });
    expect(throughputChart('cancelled', [s(0, 10, 0)], false).caption).toMatch(
      /^the job was cancelled before this page/,
    );
  });
  it('shows the run it watched once the job ended, and the current rate while it runs', () => {
    const run = [s(0, 0), s(30_000, 600), s(60_000, 1000, 0)];
    expect(throughputChart('completed', run, true)).toEqual({
      drawn: true,
      caption: 'the job is completed: the chart shows its run',
    });
    expect(throughputChart('active', [s(0, 0), s(15_000, 30)], true)).toEqual({
      drawn: true,
      caption: '120 / min work units finished, over the last 15 s',
    });
  });
});

describe('samples', () => {
  it('do not count a known answer found suspect as work finished, so the pace and the ETA ignore it', () => {
    const at = (t: number, failed: number, suspectAnswers: number) =>
      sampleOf({
        at: t,
        counts: { unsent: 10, in_progress: 0, validated: 0, failed, cancelled: 0 },
        suspectAnswers,
        activeVolunteers: 1,
      } as unknown as JobProgress);
    // Nothing computed in the minute; two known answers turned suspect.
    const samples = [at(0, 0, 0), at(60_000, 2, 2)];
    expect(samples.map((s) => s.finished)).toEqual([0, 0]);
    expect(eta(samples, 10)).toBeNull();
  });
});
