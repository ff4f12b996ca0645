// What the pipeline measures of the units it computes: the busy time they add (units in flight at once
// overlap and count once), its moving average that sizes prefetch and hand-off, each job's speed for the
// capability report, and the duty-cycle meter the throttle is checked against.
import { ema } from './pacing';
import { JobSpeeds } from './speeds';
import { DutyMeter } from './throttle';

export class ComputeTimes {
  readonly meter = new DutyMeter(8);
  readonly speeds = new JobSpeeds();
  /** Moving average of the compute time each unit added. */
  #ema: number | null = null;
  #total = 0;
  /** When the last unit to finish ended (monotonic): the end of the busy time so far. */
  #busyUntil = 0;
  #firstAt: number | null = null;

  /**
   * A unit of `job` computed from `start` to `end` (monotonic ms). With several units in flight their spans
   * overlap: only the time this one added to the busy time counts, which is also the time per unit that the
   * device's throughput implies. Returns that time.
   */
  record(job: string, start: number, end: number): number {
    const added = Math.max(0, end - Math.max(start, this.#busyUntil));
    this.#busyUntil = Math.max(this.#busyUntil, end);
    this.meter.record(start, end);
    this.#total += added;
    this.#ema = ema(this.#ema, added);
    this.speeds.record(job, added);
    this.#firstAt ??= start;
    return added;
  }

  /** Moving average of the compute time per unit; null before the first. */
  get average(): number | null {
    return this.#ema;
  }

  /** Busy time so far, in ms. */
  get total(): number {
    return this.#total;
  }

  /** When the first unit started computing, on the monotonic scale. */
  get firstAt(): number | null {
    return this.#firstAt;
  }
}
