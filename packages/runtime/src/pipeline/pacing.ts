// How far ahead of the worker the pipeline works, from the measured compute time per unit: how many units to
// hand the worker beyond the one it computes, how many to post in one call, and how many to keep leased and
// fetched. Pure, so that the pipeline's loop only asks.

/** Most work units kept ready ahead beyond those handed to the worker, however small they are. */
export const MAX_PREFETCH = 16;
/**
 * Most work units kept leased ahead beyond those handed to the worker. A device the coordinator has not
 * measured is granted fewer (its per-key room, 256 by default); one measured fast is sized 30 s of work. At 256
 * (with MAX_HANDOFF 256) cnn's tab ran dry before each lease answer came (a quarter of a second, queued behind
 * the tab's own submits): duty 0.78–0.81; at 1,024, with answers of 1,024 units, 0.80–0.91 (bench:runtime,
 * 2026-12-03, six runs against three).
 */
export const MAX_LEASED_AHEAD = 1024;
/**
 * Compute time the units handed to the worker ahead should cover, and their most. The worker goes on alone
 * only as long as these last: at 64, cnn's 0.4 ms units covered 28 ms, less than the page's main thread is
 * busy parsing a lease answer of 4 MiB or writing results, and the worker idled 100-180 ms a few times a
 * window; at 256 (110 ms) its largest gaps were 15-46 ms (bench:runtime, 2026-12-01); at 1,024 (with
 * MAX_LEASED_AHEAD 1,024) they cover the page's work on a lease answer of 1,024 units (2026-12-03).
 */
const HANDOFF_MS = 1000;
export const MAX_HANDOFF = 1024;
/** Compute time one call to the worker should hold, and the most units in it. */
const BATCH_MS = 25;
const MAX_BATCH = 64;

/** The moving average of compute time per unit the sizes below are read from. */
export const ema = (previous: number | null, sample: number): number =>
  previous === null ? sample : previous * 0.7 + sample * 0.3;

/**
 * Units to hand the worker beyond the one it computes, at a full duty cycle: as many as it runs at once
 * (`atOnce`), and for short units enough to cover HANDOFF_MS of compute, so that the worker goes from one to
 * the next without waiting on the page (whose work per result, a millisecond or so, would otherwise set the
 * pace of units that compute in one). `unitMs` is null before the first unit was measured.
 */
export function handoffSize(unitMs: number | null, atOnce: number): number {
  const cover = unitMs === null ? 0 : Math.ceil(HANDOFF_MS / Math.max(unitMs, 0.05));
  return Math.min(MAX_HANDOFF, Math.max(atOnce, cover));
}

/**
 * Units of a job to post in one call: one at a time on a backend that runs several at once (WebGPU's
 * ring), otherwise as many short units as BATCH_MS of compute.
 */
export function batchSize(unitMs: number | null, atOnce: number): number {
  if (atOnce > 1 || unitMs === null) return 1;
  return Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_MS / Math.max(unitMs, 0.05))));
}

/**
 * Work units to keep ready ahead (input fetched, job prepared): enough to cover (twice) the time a unit takes
 * to get ready (`readyMs`), measured against the time a work unit takes to compute (one for long work units,
 * more for tiny ones), plus the `handoff` handed to the worker ahead of time.
 */
export function readyDepth(unitMs: number | null, readyMs: number | null, handoff: number): number {
  if (unitMs === null || readyMs === null) return 1 + handoff;
  // Twice the mean: fetch latency varies far more than compute time does.
  const cover = Math.ceil((2 * readyMs) / Math.max(unitMs, 0.5));
  return Math.min(MAX_PREFETCH, Math.max(1, cover)) + handoff;
}

/**
 * Work units to keep leased ahead: enough to compute through twice the time new work takes to arrive once
 * asked for (`leadMs`: a lease's round trip, then its first unit getting ready), plus the `handoff`. A lease
 * asked for only when a few units were left came 80-150 ms after the worker ran dry on sub-millisecond cnn
 * units (the answer carrying 200+ inline inputs): 100-200 ms idle gaps every few hundred units (bench:runtime
 * --gaps, 2026-12-01). At most MAX_LEASED_AHEAD.
 */
export function leaseDepth(unitMs: number | null, leadMs: number | null, handoff: number): number {
  if (unitMs === null || leadMs === null) return 1 + handoff;
  const cover = Math.ceil((2 * leadMs) / Math.max(unitMs, 0.05));
  return Math.min(MAX_LEASED_AHEAD, Math.max(1, cover)) + handoff;
}
