// A job's life: active ⇄ paused, → completed when its last work unit finishes (the store decides that in
// the transaction that finishes it), → cancelled for good. New work units reopen a completed job.
import { fail, type JobState, ok, type Result } from '@bricolage/protocol';

export type JobAction = 'pause' | 'resume' | 'cancel';

/**
 * The state a researcher's action asks for. `resume` asks for `active`; the store makes that `completed`
 * when nothing is left to do. A completed job has nothing to pause; a cancelled one stays cancelled.
 */
export function nextJobState(current: JobState, action: JobAction): Result<JobState> {
  if (current === 'cancelled') return fail('job_not_active', 'the job was cancelled');
  switch (action) {
    case 'cancel':
      return ok('cancelled');
    case 'pause':
      return current === 'completed'
        ? fail('conflict', 'the job is completed: nothing is left to pause (adding work units reopens it)')
        : ok('paused');
    case 'resume':
      return ok('active');
  }
}
