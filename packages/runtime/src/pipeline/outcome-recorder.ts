// What becomes of a work unit once the worker is done with it, or once it is known that it will not run: its
// result, or an error result, goes into the outbox (client/submitter.ts sends it on from there), counted and told.
import type { BackendClass, BlobHash, SubmittedResult } from '@bricolage/protocol';
import { toBase64 } from '@bricolage/protocol';
import type { ComputeOutcome } from '../compute/api';
import type { VolunteerEvent } from '../events';
import type { ComputeErrorCode } from '../executors/executor';
import type { Outbox, OutboxEntry } from '../outbox';
import type { Work } from './lease-queue';
import { ResultWriter } from './result-writer';

/** An outcome the pipeline accepted as a result: computed, and passing its own checks again (selfCheck). */
export type ComputedOutcome = Extract<ComputeOutcome, { ok: true }>;

export interface OutcomeRecorderOptions {
  readonly outbox: Outbox;
  /** Wall-clock epoch ms, for the outbox entries' `createdAt`. */
  readonly clock: { now(): number };
  readonly emit: (event: VolunteerEvent) => void;
  /** Called whenever a result lands in the outbox. */
  readonly onResult: () => void;
  /** The pipeline's counts, to which each result recorded is added. */
  readonly counts: { computed: number; failed: number };
  /** The unit's result is recorded, or its write failed: either way the unit has left the worker. */
  readonly settled: (work: Work) => void;
  /** What went wrong last, for the pipeline's `lastError`. */
  readonly onError: (message: string) => void;
  /** The waits before each new try of an outbox write that failed (result-writer.ts's by default). */
  readonly writeRetryMs?: readonly number[];
}

export class OutcomeRecorder {
  readonly #o: OutcomeRecorderOptions;
  readonly #writer: ResultWriter;

  constructor(options: OutcomeRecorderOptions) {
    this.#o = options;
    this.#writer = new ResultWriter(options.outbox, options.writeRetryMs);
  }

  /** A unit that will not run and needs no result (its lease is gone or expired): told as a warning. */
  skip(work: Work, why: string): void {
    this.#o.emit({ type: 'warning', message: `work unit ${work.lease.workUnit} skipped: ${why}` });
  }

  /** An error result for a unit that failed, before the worker or in it. */
  async report(work: Work, code: ComputeErrorCode, message: string, backend?: BackendClass): Promise<void> {
    const result: SubmittedResult = {
      kind: 'error',
      lease: work.lease.lease,
      code,
      message: message.slice(0, 2000),
      ...(backend ? { backend } : {}),
    };
    this.#o.onError(`${code}: ${message}`);
    this.#store(work, { id: work.lease.lease, result, createdAt: this.#o.clock.now() }, () => {
      this.#o.counts.failed++;
      this.#o.emit({
        type: 'failed',
        lease: work.lease.lease,
        workUnit: work.lease.workUnit,
        job: work.job.id,
        code,
        message,
      });
      this.#o.onResult();
    });
  }

  /** A unit's result, computed from `startedAt` to `endedAt` (monotonic ms). */
  result(work: Work, outcome: ComputedOutcome, startedAt: number, endedAt: number): void {
    const { lease, job } = work;
    const result: SubmittedResult = {
      kind: 'ok',
      lease: lease.lease,
      output: toBase64(outcome.output),
      outputHash: outcome.outputHash as BlobHash,
      backend: outcome.backend,
      elapsedMs: Math.round(outcome.elapsedMs * 1000) / 1000,
    };
    this.#store(work, { id: lease.lease, result, createdAt: this.#o.clock.now() }, () => {
      this.#o.counts.computed++;
      this.#o.emit({
        type: 'computed',
        lease: lease.lease,
        workUnit: lease.workUnit,
        job: job.id,
        backend: outcome.backend,
        elapsedMs: outcome.elapsedMs,
        outputHash: outcome.outputHash,
        output: outcome.output,
        startedAt,
        endedAt,
      });
      this.#o.onResult();
    });
  }

  /** Stopping: an outbox write that fails is given up at once rather than tried again (result-writer.ts). */
  stopRetrying(): void {
    this.#writer.stopRetrying();
  }

  /** Resolves once every result handed over so far is written (or failed to be). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * Puts a result in the outbox without waiting for it: results that finish while a write is under way
   * go in the next write together. `then` runs once it is stored. The unit counts as in the worker until
   * then: a paused volunteer is 'pausing', not 'paused', while any of its results is not yet recorded.
   */
  #store(work: Work, entry: OutboxEntry, then: () => void): void {
    this.#writer.add(entry).then(
      () => {
        this.#o.settled(work);
        then();
      },
      (error: Error) => {
        this.#o.settled(work);
        this.#o.onError(`outbox write failed: ${error.message}`);
        // Told as a result not delivered, which the page lists: it is in this page's memory only, and goes with it.
        this.#o.emit({
          type: 'dropped',
          lease: entry.id,
          code: 'not_stored',
          message: `this browser would not store it (${error.message}): is its storage full?`,
        });
      },
    );
  }
}
