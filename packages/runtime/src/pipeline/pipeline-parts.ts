// The parts a pipeline runs on, built once from its options: the lease queue, the outcome recorder, lease renewal,
// how far ahead of the worker it works, and what posting and finishing a unit touch. Kept apart from pipeline.ts,
// which decides when each is used; the pipeline's own state reaches them only through the callbacks in `PipelineState`.
import type { Capabilities } from '@bricolage/protocol';
import type { ComputeTimes } from './compute-times';
import { LeaseAhead } from './lease-ahead';
import { LeaseQueue, type Work } from './lease-queue';
import { LeaseRenewal } from './lease-renewal';
import { OutcomeRecorder } from './outcome-recorder';
import type { PipelineClock, PipelineCounts, PipelineOptions } from './pipeline-options';
import type { Sleeps } from './sleeps';
import type { FinishDeps } from './work-finish';
import type { PostDeps } from './work-start';

/** What of the pipeline's own state its parts read or change. */
export interface PipelineState {
  readonly clock: PipelineClock;
  readonly counts: PipelineCounts;
  readonly times: ComputeTimes;
  readonly sleeps: Sleeps;
  /** The units taken from the queue whose results are not yet recorded. */
  readonly inWorker: Set<Work>;
  /** The capability report for the next lease request. */
  readonly capabilities: () => Capabilities;
  readonly projects: () => readonly string[] | null;
  readonly running: () => boolean;
  /** Whether units leased ahead are kept (not while a long pause has given them back). */
  readonly keeps: () => boolean;
  readonly prefetch: () => boolean;
  readonly duty: () => number;
  /** The unit computing, if any. */
  readonly current: () => Work | null;
  readonly onError: (message: string) => void;
}

export interface PipelineParts {
  readonly queue: LeaseQueue;
  readonly outcomes: OutcomeRecorder;
  readonly renewal: LeaseRenewal;
  readonly ahead: LeaseAhead;
  /** What posting units to the worker touches: made once, not per unit. */
  readonly posting: PostDeps;
  /** What recording an outcome touches, likewise (a cnn tab records ~1,000 a second). */
  readonly finishing: FinishDeps;
}

export function pipelineParts(options: PipelineOptions, state: PipelineState): PipelineParts {
  const { clock } = state;
  const outcomes = new OutcomeRecorder({
    outbox: options.outbox,
    clock,
    emit: options.emit,
    onResult: options.onResult,
    counts: state.counts,
    settled: (work) => {
      state.inWorker.delete(work);
    },
    onError: state.onError,
  });
  const queue = new LeaseQueue({
    client: options.client,
    compute: options.compute,
    assets: options.assets,
    capabilities: state.capabilities,
    ...(options.project ? { project: options.project } : {}),
    projects: state.projects,
    ...(options.verify ? { verify: options.verify } : {}),
    emit: options.emit,
    clock,
    ...(options.maxIdleWaitMs !== undefined ? { maxIdleWaitMs: options.maxIdleWaitMs } : {}),
    sleep: (ms) => state.sleeps.sleep(ms),
    running: state.running,
    keeps: state.keeps,
    onError: state.onError,
    onLeased: () => {
      state.counts.leased++;
    },
    ahead: () => ahead.readyAhead(),
    ...(options.resume ? { resume: options.outbox } : {}),
  });
  const ahead = new LeaseAhead({
    queue,
    times: state.times,
    prefetch: state.prefetch,
    duty: state.duty,
    current: state.current,
  });
  const renewal = new LeaseRenewal({
    client: options.client,
    clock,
    emit: options.emit,
    ...(options.jobCheckMs !== undefined ? { jobCheckMs: options.jobCheckMs } : {}),
  });
  return {
    queue,
    outcomes,
    renewal,
    ahead,
    posting: { queue, clock, compute: options.compute, assets: options.assets },
    finishing: { queue, times: state.times, outcomes, inWorker: state.inWorker, running: state.running },
  };
}
