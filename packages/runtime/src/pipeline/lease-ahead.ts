// How far ahead of the worker the pipeline works: the units to hand it and to post in one call, to keep ready, and
// to keep leased. pacing.ts sizes them from numbers; this reads those numbers from the pipeline at each ask, since
// they move with every unit measured and every setting changed.
import { IN_FLIGHT } from '../compute/api';
import type { ComputeTimes } from './compute-times';
import type { LeaseQueue, Work } from './lease-queue';
import { batchSize, handoffSize, leaseDepth, readyDepth } from './pacing';

/** What of the pipeline the sizes are read from. */
export interface AheadSource {
  readonly queue: LeaseQueue;
  readonly times: ComputeTimes;
  readonly prefetch: () => boolean;
  readonly duty: () => number;
  /** The unit computing: its backend sizes the hand-off while the queue is empty. */
  readonly current: () => Work | null;
}

export class LeaseAhead {
  readonly #s: AheadSource;

  constructor(source: AheadSource) {
    this.#s = source;
  }

  /** Units to hand the worker beyond the one it computes: none when throttled or not prefetching. */
  handoff(): number {
    if (!this.#s.prefetch() || this.#s.duty() < 1) return 0;
    const next = this.#s.queue.held[0] ?? this.#s.current();
    return handoffSize(this.#s.times.average, next ? IN_FLIGHT[next.job.backend] : 1);
  }

  /** Units of `next`'s job to post to the worker now, beside the `handed` it holds; 0 while it holds enough. */
  toHand(next: Work, handed: number): number {
    const room = this.handoff() + 1 - handed;
    const batch = batchSize(this.#s.times.average, IN_FLIGHT[next.job.backend]);
    // Short units go a whole batch at a time, unless the worker is running low: topped up one per unit done,
    // each was a call to the worker of its own, and the worker spent ~70 µs between units on them (cnn's
    // 0.3 ms units: duty 0.78, bench:runtime --gaps, 2026-12-01).
    if (room <= 0 || (room < batch && handed > batch)) return 0;
    return Math.min(batch, room);
  }

  /** Work units to keep leased ahead, those handed to the worker included. */
  depth(): number {
    if (!this.#s.prefetch()) return 0;
    return leaseDepth(this.#s.times.average, this.#s.queue.leadMs, this.handoff());
  }

  /** Work units at the front of the queue to keep ready (fetched, prepared), those handed to the worker included. */
  readyAhead(): number {
    if (!this.#s.prefetch()) return 0;
    return readyDepth(this.#s.times.average, this.#s.queue.readyMs, this.handoff());
  }
}
