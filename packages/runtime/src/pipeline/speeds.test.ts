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
});
