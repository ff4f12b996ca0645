import { describe, expect, it } from 'vitest';
import { nextJobState } from './lifecycle';

describe('nextJobState', () => {
  it('pauses, resumes and cancels an active or paused job', () => {
    expect(nextJobState('active', 'pause')).toEqual({ ok: true, value: 'paused' });
    expect(nextJobState('paused', 'resume')).toEqual({ ok: true, value: 'active' });
    expect(nextJobState('paused', 'cancel')).toEqual({ ok: true, value: 'cancelled' });
  });

  it('has nothing to pause in a completed job, and keeps a cancelled job cancelled', () => {
    expect(nextJobState('completed', 'pause')).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(nextJobState('completed', 'resume')).toEqual({ ok: true, value: 'active' });
    expect(nextJobState('cancelled', 'resume')).toMatchObject({ ok: false, error: { code: 'job_not_active' } });
  });
});
