// The figures `job show` and `watch` print for a job's units: they add up to all of them, and the failed ones are
// as many as the results list, known answers found suspect among them, said apart as the researcher's to check.
import type { JobId, JobProgress } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { failed, knownAnswers, total } from './job';

const progress = (p: Pick<JobProgress, 'knownAnswer' | 'suspectAnswers'> & { failed: number }): JobProgress => ({
  job: 'job_0123456789abcdef' as JobId,
  state: 'active',
  counts: { unsent: 2, in_progress: 1, validated: 10, failed: p.failed, cancelled: 0 },
  knownAnswer: p.knownAnswer,
  suspectAnswers: p.suspectAnswers,
  credit: 0,
  diagnosis: { code: 'running', stalled: false, why: '', volunteers: { connected: 1, eligible: 1 } },
  activeVolunteers: 1,
  replicas: { issued: 13, reissued: 0, valid: 10, invalid: 0, errors: 0, givenBack: 0, withdrawn: 0 },
  errors: [],
  at: 0,
});

describe('a job’s counts as the CLI prints them', () => {
  it('says how many of the failed units are known answers found suspect', () => {
    const one = progress({ knownAnswer: 4, suspectAnswers: 1, failed: 3 });
    expect(`${knownAnswers(one)}${failed(one)}`).toBe(
      '4 known answers, 3 failed (1 of them a known answer found suspect)',
    );
    expect(total(one)).toBe(4 + 2 + 1 + 10 + 3);
    expect(failed(progress({ knownAnswer: 0, suspectAnswers: 2, failed: 2 }))).toBe(
      '2 failed (2 of them known answers found suspect)',
    );
  });

  it('says nothing of known answers where none was found suspect', () => {
    expect(failed(progress({ knownAnswer: 4, suspectAnswers: 0, failed: 3 }))).toBe('3 failed');
  });
});
