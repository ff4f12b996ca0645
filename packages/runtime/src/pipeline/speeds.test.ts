import { describe, expect, it } from 'vitest';
import { JobSpeeds, MEASURED_AFTER } from './speeds';

describe('job speeds', () => {
  it('reports a job once measured, leaving out the first unit (compiling), scaled by the duty cycle', () => {
    const speeds = new JobSpeeds();
    speeds.record('job_a', 5000);
    for (let i = 1; i < MEASURED_AFTER - 1; i++) speeds.record('job_a', 10);
    expect(speeds.report(1)).toEqual([]);
    speeds.record('job_a', 10);
    expect(speeds.report(1)).toEqual([{ job: 'job_a', unitsPerSecond: 100 }]);
    expect(speeds.report(0.25)).toEqual([{ job: 'job_a', unitsPerSecond: 25 }]);
  });

  it('follows a change of speed, and forgets the jobs measured least recently', () => {
    const speeds = new JobSpeeds();
    for (let i = 0; i < 40; i++) speeds.record('job_a', i < 5 ? 10 : 1000);
    expect(speeds.report(1)[0]!.unitsPerSecond).toBeCloseTo(1, 1);
    for (let j = 0; j < 20; j++) for (let i = 0; i < MEASURED_AFTER; i++) speeds.record(`job_${j}`, 100);
    const jobs = speeds.report(1).map((s) => s.job);
    expect(jobs).toHaveLength(16);
    expect(jobs).not.toContain('job_a');
    expect(jobs).toContain('job_19');
  });

  it('plans by the last lease’s worth of work: a run of cheap units does not make a slow job look fast', () => {
    const speeds = new JobSpeeds();
    speeds.record('job_a', 5000);
    // 20 s of 1 s units, then ten of 0.1 s: the last few alone said ~7 units a second, the job's 30 s say ~1.4.
    for (let i = 0; i < 20; i++) speeds.record('job_a', 1000);
    for (let i = 0; i < 10; i++) speeds.record('job_a', 100);
    expect(speeds.msPerUnit('job_a')).toBeCloseTo(700, 6);
    expect(speeds.report(1)[0]!.unitsPerSecond).toBeCloseTo(30 / 21, 6);
  });

  it('follows a device slowing down within a few units, though its window still holds the faster ones', () => {
    const speeds = new JobSpeeds();
    for (let i = 0; i < 301; i++) speeds.record('job_a', 100);
    for (let i = 0; i < 5; i++) speeds.record('job_a', 1000);
    // The moving average: 1000 − 900·0.8⁵ ≈ 705 ms; the window's mean is still ~117 ms.
    expect(speeds.msPerUnit('job_a')).toBeCloseTo(1000 - 900 * 0.8 ** 5, 6);
  });
});
