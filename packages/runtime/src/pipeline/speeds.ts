// The device's speed on each job it computes, measured from its own work units: what the capability
// report tells the coordinator, so that it sizes this device's leases of the job to it.
import type { JobSpeed } from '@bricolage/protocol';

/** Units measured on a job before its speed is reported: the first unit also pays for compiling. */
export const MEASURED_AFTER = 3;
/** Jobs whose speeds are kept (the report carries at most 64). */
const KEPT = 16;

export class JobSpeeds {
  /** Per job, most recently measured last: a moving average of the time each unit adds, in ms. */
  readonly #jobs = new Map<string, { ms: number; units: number }>();

  /** `ms`: the compute time the unit added (with units in flight at once, less than its own span). */
  record(job: string, ms: number): void {
    const entry = this.#jobs.get(job);
    this.#jobs.delete(job);
    // The first unit includes compiling and warming up: it is counted but not averaged in.
    const next = !entry
      ? { ms: Number.NaN, units: 1 }
      : { ms: Number.isNaN(entry.ms) ? ms : entry.ms * 0.8 + ms * 0.2, units: entry.units + 1 };
    this.#jobs.set(job, next);
    if (this.#jobs.size > KEPT) this.#jobs.delete(this.#jobs.keys().next().value as string);
  }

  /** The job's measured time per unit (ms), or null before a unit of it past the first was measured. */
  msPerUnit(job: string): number | null {
    const ms = this.#jobs.get(job)?.ms;
    return ms === undefined || Number.isNaN(ms) ? null : ms;
  }

  /** Units per second on each job measured enough, at `duty` (a throttled device computes part of the time). */
  report(duty: number): JobSpeed[] {
    const speeds: JobSpeed[] = [];
    for (const [job, { ms, units }] of this.#jobs)
      if (units >= MEASURED_AFTER && ms > 0)
        speeds.push({ job: job as JobSpeed['job'], unitsPerSecond: Math.min(1e6, (1000 / ms) * duty) });
    return speeds;
  }
}
