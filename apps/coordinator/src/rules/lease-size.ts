// How many work units one lease may hold: what the volunteer asked for, within the per-volunteer cap on
// leases in flight. The one place a sizing rule (a device's measured speed) decides a lease's size.

export interface LeaseSizeFacts {
  /** The `max` of the lease request. */
  readonly asked: number;
  /** Leases the volunteer holds now. */
  readonly inFlight: number;
  /** Leases one volunteer may hold at once. */
  readonly cap: number;
}

export function leaseRoom(f: LeaseSizeFacts): number {
  return Math.max(0, Math.min(f.asked, f.cap - f.inFlight));
}
