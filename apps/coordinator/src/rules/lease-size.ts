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
  /** The most leases a measured device may hold, however fast it says it is (see `keyCeiling`). */
  readonly maxHeld: number;
}

export const DEFAULT_SIZING: LeaseSizing = { targetSeconds: 30, slack: 2, graceSeconds: 15, maxHeld: 4096 };

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

/** The fastest speed a capability report gives on any job (units per second), or null. */
export const fastestSpeed = (speeds: readonly { unitsPerSecond: number }[] | undefined): number | null =>
  speeds && speeds.length > 0 ? Math.max(...speeds.map((s) => s.unitsPerSecond)) : null;

/**
 * The most leases a key may hold: the per-key cap, or, for a device whose reported speed needs more, what
 * one lease sized to its speed gives (`targetSeconds` of its work), at most `maxHeld`. A fixed cap of 256
 * bounded a fast device by its round trip rather than its speed: 256 cnn units are 0.1 s of one core's work,
 * less than a lease and a submit take, and the tab stood idle between them (bench:runtime, 2026-12-01). The
 * speed is the volunteer's own claim, so it buys little: the leases of a device that says it is fast last
 * as long as that speed needs (`leaseSize`: twice the expected time plus 15 s), so units a liar sits on come
 * back within seconds; and a key's room still grows only with its validated results, under its address's
 * ceiling (rules/lease-limits.ts), which this does not raise.
 */
export function keyCeiling(perKey: number, speed: number | null, sizing: LeaseSizing = DEFAULT_SIZING): number {
  if (speed === null || !(speed > 0)) return perKey;
  return Math.max(perKey, Math.min(sizing.maxHeld, Math.ceil(speed * sizing.targetSeconds)));
}
