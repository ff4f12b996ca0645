// Stopping units the worker holds, each alone: all of them on stop('now'), or those whose leases were withdrawn
// while they ran (lease-renewal.ts). The only way to stop a unit the worker runs is to end the worker (a kernel
// cannot be interrupted: host.ts), and the units behind it run again on the next one, whose jobs are prepared
// again: worth it unless the unit's job is known to end its units sooner than that costs. A unit not stopped runs
// to its end and its result is dropped (work-finish.ts); one not yet started never starts (work-start.ts).
import type { Work } from './lease-queue';

/**
 * A unit of a job measured to take less than this is left to finish rather than stopped: a new worker computed its
 * next unit 0.2 to 0.7 s after the old one was ended (e2e/runtime/control.spec.ts, a wasm job on two shared cores).
 */
export const ABORT_WORTH_MS = 1000;

export class UnitStops {
  readonly #stops = new WeakMap<Work, AbortController>();

  /** The signal that stops `work` in the worker, already aborted if it was stopped before it was handed over. */
  signal(work: Work): AbortSignal {
    return this.#stop(work).signal;
  }

  /** Stops all of these (a stop that does not wait), those still on their way to the worker too. */
  stopAll(works: Iterable<Work>): void {
    for (const work of works) this.#stop(work).abort();
  }

  /**
   * Stops those of `gone` (no longer ours) that the worker holds, unless their job's units are measured to end
   * sooner than a stop costs (`msPerUnit`: null before that is known).
   */
  stopGone(gone: readonly Work[], inWorker: ReadonlySet<Work>, msPerUnit: (job: string) => number | null): void {
    for (const work of gone) {
      if (!inWorker.has(work)) continue;
      const ms = msPerUnit(work.job.id);
      if (ms !== null && ms < ABORT_WORTH_MS) continue;
      this.#stop(work).abort();
    }
  }

  #stop(work: Work): AbortController {
    let stop = this.#stops.get(work);
    if (!stop) {
      stop = new AbortController();
      this.#stops.set(work, stop);
    }
    return stop;
  }
}
