// How many work units of a job one lease holds, and for how long: BOINC's estimated-speed scheduling.
// A device that reports its speed on the job (units per second, measured on its own units) gets enough
// to stay busy for a target time, so a GPU tab gets hundreds and a phone a few; its lease lasts as long
// as it needs for them, with slack, so that units held by a device that went away come back soon. A
// device with no speed for the job gets what it asked for and the job's own leaseSeconds, as before.

export interface LeaseSizing {
  /** Seconds of work one lease request hands a measured device, over all the jobs in it. */
  readonly targetSeconds: number;
  /** A measured device's lease lasts `slack` times its expected compute time, plus `graceSeconds`. */
  readonly slack: number;
  readonly graceSeconds: number;
}

export const DEFAULT_SIZING: LeaseSizing = { targetSeconds: 30, slack: 2, graceSeconds: 15 };

export interface LeaseSizeInput {
  /** The device's units per second on this job, or null when it reported none. */
  readonly speed: number | null;
  /** The job's leaseSeconds: no lease lasts longer, and no device is given more than it can finish in it. */
  readonly leaseSeconds: number;
  /** Units the volunteer may still hold (the per-volunteer cap less what it holds). */
  readonly room: number;
  /** Units still wanted, by the request's `max`, of jobs without a speed. */
  readonly wanted: number;
  /** Seconds of work still to hand out in this request to a measured device. */
  readonly seconds: number;
}

export interface LeaseSize {
  readonly count: number;
  readonly leaseMs: number;
}

export function leaseSize(input: LeaseSizeInput, sizing: LeaseSizing = DEFAULT_SIZING): LeaseSize {
  const { speed, leaseSeconds, room } = input;
  if (speed === null || !(speed > 0))
    return { count: Math.max(0, Math.min(input.wanted, room)), leaseMs: leaseSeconds * 1000 };
  // What keeps the device busy for the time left, and no more than it can finish before the job's deadline.
  const busy = Math.floor(speed * Math.max(0, input.seconds));
  const finishable = Math.floor((speed * (leaseSeconds - sizing.graceSeconds)) / sizing.slack);
  const count = Math.max(0, Math.min(room, Math.max(input.seconds > 0 ? 1 : 0, Math.min(busy, finishable))));
  const needed = (sizing.slack * count) / speed + sizing.graceSeconds;
  return { count, leaseMs: Math.round(Math.min(leaseSeconds, needed) * 1000) };
}

/** The speed a capability report gives for a job, or null. */
export const speedOf = (speeds: readonly { job: string; unitsPerSecond: number }[] | undefined, job: string) =>
  speeds?.find((s) => s.job === job)?.unitsPerSecond ?? null;

/** Units a volunteer may still hold: the per-volunteer cap on units in flight, less what it holds now. */
export const volunteerRoom = (inFlight: number, cap: number): number => Math.max(0, cap - inFlight);
