// What a work unit's outcome from the worker comes to: a result for the outbox (checked again here, whatever the
// worker said), an error result, a run again on a new worker, or nothing (the unit is no longer ours). The
// counterpart of work-start.ts; the pipeline records the compute time it returns for its duty cycle.
import type { BackendClass } from '@bricolage/protocol';
import { selfCheck } from '../abi';
import type { ComputeOutcome } from '../compute/api';
import type { Interrupted } from '../host';
import type { ComputeTimes } from './compute-times';
import type { LeaseQueue, Work } from './lease-queue';
import type { OutcomeRecorder } from './outcome-recorder';

export interface FinishDeps {
  readonly queue: Pick<LeaseQueue, 'unshift'>;
  readonly times: Pick<ComputeTimes, 'record'>;
  readonly outcomes: Pick<OutcomeRecorder, 'report' | 'skip' | 'result'>;
  /** The units handed to the worker whose results are not yet recorded. */
  readonly inWorker: Set<Work>;
  readonly running: () => boolean;
}

/** A work unit the worker ran (or was to run), what it answered, and when that answer came (monotonic ms). */
export interface Ran {
  readonly work: Work;
  readonly backend: BackendClass;
  readonly issuedAt: number;
  readonly outcome: ComputeOutcome | Interrupted;
  readonly endedAt: number;
}

const isInterrupted = (o: ComputeOutcome | Interrupted): o is Interrupted =>
  !o.ok && (o.code === 'aborted' || o.code === 'restarted');

/** Records a work unit's outcome; returns its compute time (0 when it never ran). */
export async function recordOutcome(ran: Ran, deps: FinishDeps): Promise<number> {
  const { work, backend, outcome } = ran;
  const { job } = work;
  if (isInterrupted(outcome)) {
    deps.inWorker.delete(work);
    // Stopped, or never ran, once no longer ours (its lease withdrawn): said, and not run again.
    if (work.gone) deps.outcomes.skip(work, work.gone);
    // Never ran (another work unit's timeout replaced the worker): run it again on the new worker.
    else if (outcome.code === 'restarted' && deps.running()) deps.queue.unshift(work);
    return 0;
  }
  if (work.gone) {
    // Not ours any more (given back as the page went, and it came back from the back/forward cache): no result.
    deps.inWorker.delete(work);
    deps.outcomes.skip(work, work.gone);
    return 0;
  }
  // The worker's own timestamps, when it gave them: they leave out the page's latency in between.
  const start = outcome.startedAt ?? ran.issuedAt;
  const end = outcome.endedAt ?? ran.endedAt;
  const computeMs = Math.max(0, end - start);
  deps.times.record(job.id, start, end);
  if (!outcome.ok) {
    await deps.outcomes.report(work, outcome.code, outcome.message, outcome.backend ?? backend);
    return computeMs;
  }
  // Checked again here, whatever the worker said: a result that fails is never submitted.
  const check = selfCheck(job.spec, outcome.output);
  if (!check.ok) {
    await deps.outcomes.report(work, 'self_check_failed', check.reason, backend);
    return computeMs;
  }
  deps.outcomes.result(work, outcome, start, end);
  return computeMs;
}
