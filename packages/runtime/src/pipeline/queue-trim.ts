// Units held past what the page will compute soon go back to the grid. A lease holds about 30 s of work at the
// speed the page reported (rules/lease-size.ts), but that speed is measured on units already done: when a job's
// units turn dearer (a deep-zoom row inside the set after a row outside it) or the device slows down, the same
// lease is minutes of work, and its tail waits on this page while other volunteers, and any newer job's units
// leased behind it, wait too.

/** Trimmed only when the units held come to more than this much work at the speeds now measured (4 leases). */
export const TRIM_AT_MS = 120_000;
/** What a trim keeps: the units that start within this long (2 leases' worth). */
export const KEEP_MS = 60_000;

/**
 * How many units at the end of `held` to give back: none while they and the units `ahead` of them (handed to the
 * worker, not yet done) come to at most TRIM_AT_MS of work (a unit of a job not yet measured counts as none), else
 * those that would start after KEEP_MS. `duty` is the throttle: a device computing half the time takes twice as long.
 */
export function unitsToTrim(
  held: readonly Unit[],
  msPerUnit: (job: string) => number | null,
  duty: number,
  ahead: Iterable<Unit> = [],
): number {
  const wallMs = (work: Unit) => (msPerUnit(work.job.id) ?? 0) / Math.max(duty, 0.01);
  let startsAt = 0;
  for (const work of ahead) startsAt += wallMs(work);
  let keep = 0;
  for (const work of held) {
    if (startsAt < KEEP_MS) keep++;
    startsAt += wallMs(work);
  }
  return startsAt > TRIM_AT_MS ? held.length - keep : 0;
}

type Unit = { readonly job: { readonly id: string } };
