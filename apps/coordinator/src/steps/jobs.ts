// A job's life as the store sees it: created active, paused and resumed, cancelled (its unfinished units
// with it, its accepted results kept), completed when nothing is left to do (here for a resumed job, and in
// changes.ts for the transaction that finishes its last unit), and its progress counted.
import { type JobId, type JobState, WORK_UNIT_STATES, type WorkUnitCounts } from '@bricolage/protocol';
import type { JobCounts } from '../store/store';
import type { StepContext } from './context';
import { unfundedReason } from './fund';

/** Sets the state a researcher asked for; a job made active with nothing left to do is completed at once. */
export async function setJobState(ctx: StepContext, id: JobId, wanted: JobState): Promise<JobState> {
  const { tx } = ctx;
  // Units before the job's row: the order in which a submit locks them.
  if (wanted === 'cancelled') await tx.cancelUnfinished(id);
  if (!(await tx.lockJob(id))) return wanted;
  const state =
    wanted === 'active' && !(await tx.hasUnfinished(id)) && (await tx.hasFinished(id)) ? 'completed' : wanted;
  await tx.setJobState(id, state);
  ctx.changes.touched.add(id);
  return state;
}

/**
 * The job's units by state as its results show them. A known answer still judging is counted apart
 * (`knownAnswer`: its result is its expected output from the start); one found suspect is a failed unit in the
 * results, and so in `counts.failed` here, and `suspectAnswers` says how many of those it is: the researcher's
 * expected outputs to check, not volunteers' failures.
 */
export async function progress(ctx: StepContext, id: JobId): Promise<JobCounts> {
  const counts = Object.fromEntries(WORK_UNIT_STATES.map((s) => [s, 0])) as Record<string, number>;
  let knownAnswer = 0;
  let suspectAnswers = 0;
  let wanting = 0;
  let reissued = 0;
  for (const r of await ctx.tx.countByState(id)) {
    reissued += r.reissued;
    if (r.state === 'probe') knownAnswer = r.n;
    else if (r.state === 'suspect') suspectAnswers = r.n;
    else if (r.state in counts) {
      counts[r.state] = r.n;
      wanting += r.wanting;
    }
  }
  counts.failed = (counts.failed ?? 0) + suspectAnswers;
  const facts = await ctx.catalog.facts(ctx.tx, id);
  const unfunded = facts ? await unfundedReason(ctx, facts) : null;
  return {
    counts: counts as WorkUnitCounts,
    knownAnswer,
    suspectAnswers,
    credit: await ctx.tx.jobCredit(id),
    wanting,
    reissued,
    unfunded,
  };
}
