// The device's speed on each job it computes, measured from its own work units: what the capability
// report tells the coordinator, so that it sizes this device's leases of the job to it.
import type { JobSpeed } from '@bricolage/protocol';
import { UnitWindow } from './unit-window';

/** Units measured on a job before its speed is reported: the first unit also pays for compiling. */
export const MEASURED_AFTER = 3;
/** Jobs whose speeds are kept (the report carries at most 64). */
const KEPT = 16;

interface Measured {
  /** Moving average of the time each unit adds, in ms (NaN until a unit past the first). */
  ema: number;
  units: number;
  /** The units of about the last lease's worth of work. */
  readonly window: UnitWindow;
}

export class JobSpeeds {
  /** Per job, most recently measured last. */
  readonly #jobs = new Map<string, Measured>();

  /** `ms`: the compute time the unit added (with units in flight at once, less than its own span). */
  record(job: string, ms: number): void {
    const entry = this.#jobs.get(job);
    this.#jobs.delete(job);
    // The first unit includes compiling and warming up: it is counted but not averaged in.
    const next = entry ?? { ema: Number.NaN, units: 0, window: new UnitWindow() };
    if (entry) {
      next.ema = Number.isNaN(entry.ema) ? ms : entry.ema * 0.8 + ms * 0.2;
      next.window.add(ms);
    }
    next.units++;
    this.#jobs.set(job, next);
    if (this.#jobs.size > KEPT) this.#jobs.delete(this.#jobs.keys().next().value as string);
  }

  /**
   * The job's time per unit (ms) to plan by, or null before a unit of it past the first was measured: the slower
   * of the last few units (the moving average, which follows a device slowing down within units) and the mean
   * over about the last lease's worth of work (UnitWindow). A lease holds `targetSeconds` of work at this speed;
   * the moving average alone spans ~5 units, and a run of cheap units (a deep-zoom tile that escapes at once
   * costs a fraction of one inside the set) sized a lease of hundreds of tiles for minutes of work.
   */
  msPerUnit(job: string): number | null {
    const entry = this.#jobs.get(job);
    if (!entry || Number.isNaN(entry.ema)) return null;
    return Math.max(entry.ema, entry.window.mean() ?? entry.ema);
  }

  /** Units per second on each job measured enough, at `duty` (a throttled device computes part of the time). */
  report(duty: number): JobSpeed[] {
    const speeds: JobSpeed[] = [];
    for (const [job, { units }] of this.#jobs) {
      const ms = this.msPerUnit(job);
      if (units >= MEASURED_AFTER && ms !== null && ms > 0)
        speeds.push({ job: job as JobSpeed['job'], unitsPerSecond: Math.min(1e6, (1000 / ms) * duty) });
    }
    return speeds;
  }
}
