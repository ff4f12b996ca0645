// The last checks before a work unit goes to the worker: still ours, its lease not run out, its input
// fetched and its job prepared on the worker that will run it. What they find is a unit to run or the
// reason it will not run, which the pipeline records as a skip or an error result; those that pass are posted.
import type { BackendClass } from '@bricolage/protocol';
import type { ComputeOutcome } from '../compute/api';
import type { ComputeErrorCode } from '../executors/executor';
import type { AssetSource, Interrupted } from '../host';
import type { LeaseQueue, Preparer, Work } from './lease-queue';
import type { PipelineClock, PipelineCompute } from './pipeline-options';

/** A work unit on its way through the worker, or the reason it never got there. */
export type Started =
  | { readonly kind: 'skip'; readonly work: Work; readonly reason: string }
  | {
      readonly kind: 'failed';
      readonly work: Work;
      readonly code: ComputeErrorCode;
      readonly message: string;
      readonly backend?: BackendClass;
    }
  | {
      readonly kind: 'run';
      readonly work: Work;
      readonly backend: BackendClass;
      readonly issuedAt: number;
      readonly outcome: Promise<ComputeOutcome | Interrupted>;
    };

/** A work unit that passed its checks: what to post to the worker. */
export interface Runnable {
  readonly work: Work;
  readonly backend: BackendClass;
  readonly input: Uint8Array;
}

export interface StartDeps {
  readonly queue: Pick<LeaseQueue, 'ready'>;
  readonly clock: { now(): number };
  readonly compute: Preparer;
  readonly assets: AssetSource;
}

/** A work unit ready to post, or the reason it will not run. */
export async function checkStart(work: Work, deps: StartDeps): Promise<Runnable | Exclude<Started, { kind: 'run' }>> {
  const { job } = work;
  let ready = await deps.queue.ready(work);
  if (work.gone) return { kind: 'skip', work, reason: work.gone };
  if (deps.clock.now() > work.deadline)
    return { kind: 'skip', work, reason: 'the lease expired before it could start' };
  if (!ready.ok) {
    if (ready.code === 'skip') return { kind: 'skip', work, reason: ready.message };
    return {
      kind: 'failed',
      work,
      code: ready.code,
      message: ready.message,
      ...(ready.backend ? { backend: ready.backend } : {}),
    };
  }
  // A timeout elsewhere may have replaced the worker since this job was prepared: prepare again (cached).
  const again = await deps.compute.prepare(job.id, job.spec, ready.backend, deps.assets);
  if (!again.ok) ready = { ...again, backend: ready.backend };
  if (!ready.ok)
    return {
      kind: 'failed',
      work,
      code: ready.code as ComputeErrorCode,
      message: ready.message,
      backend: ready.backend!,
    };
  return { work, backend: ready.backend, input: ready.input };
}

/** What posting units to the worker needs beyond their checks. */
export interface PostDeps extends StartDeps {
  readonly compute: PipelineCompute;
  readonly clock: PipelineClock;
}

/**
 * Checks that work units (of one job) are still ours and ready, and posts them to the worker, which runs
 * them after any before them: several in one call when the compute side can, so that the worker goes
 * from one to the next without a message in between.
 */
export async function postWorks(
  works: readonly Work[],
  deps: PostDeps,
  signalOf: (work: Work) => AbortSignal,
): Promise<Started[]> {
  const { compute } = deps;
  const checked = await Promise.all(works.map((work) => checkStart(work, deps)));
  const runnable = checked.filter((c): c is Runnable => 'input' in c);
  const issuedAt = deps.clock.monotonic();
  // Copies go to the worker (transferred, so detached here): the originals stay for a re-run.
  const inputs = runnable.map((r) => r.input.slice());
  const job = works[0]!.job;
  // Each unit may be stopped alone (its lease withdrawn while it runs: pipeline.ts).
  const signals = runnable.map((r) => signalOf(r.work));
  const outcomes =
    runnable.length > 1 && compute.runMany
      ? compute.runMany(job.id, inputs, job.timeBudgetMs, signals)
      : inputs.map((input, i) => compute.run(job.id, input, job.timeBudgetMs, signals[i]));
  let next = 0;
  return checked.map((c) =>
    'input' in c ? { kind: 'run', work: c.work, backend: c.backend, issuedAt, outcome: outcomes[next++]! } : c,
  );
}
