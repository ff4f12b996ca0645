// How many leases a key may hold and for how long (issue 17, wired in by its phase 2). Ten keys holding 256
// leases each, renewed by heartbeats without end, kept every unit of the demo from everyone else; a lease
// now has a total lifetime whatever its heartbeats, and a key's room grows with the work it has delivered,
// under a ceiling per client address.

export interface LeaseLifetime {
  /** When the lease was granted (ms since the epoch). */
  readonly leasedAt: number;
  readonly leaseSeconds: number;
  readonly timeBudgetMs: number;
}

/**
 * The longest a lease may live, heartbeats or not: a lease period waiting in the volunteer's queue behind the
 * units it fetched ahead, the compute within its time budget, and a second lease period to deliver the result.
 */
export const maxLifetimeMs = (l: LeaseLifetime): number => 2 * l.leaseSeconds * 1000 + l.timeBudgetMs;

/** The deadline a heartbeat at `now` sets: another lease period, but never past the lease's total lifetime. */
export function renewedDeadline(l: LeaseLifetime, now: number): number {
  return Math.min(now + l.leaseSeconds * 1000, l.leasedAt + maxLifetimeMs(l));
}

export interface LeaseRoomPolicy {
  /** What a key that has delivered nothing yet may hold. */
  readonly newKey: number;
  /** Added per validated result the key delivered, up to `perKey`. */
  readonly perValid: number;
  readonly perKey: number;
  /** What all the keys of one client address may hold together. */
  readonly perAddress: number;
}

export const DEFAULT_LEASE_ROOM: LeaseRoomPolicy = {
  // A fresh tab prefetches up to 16 small units (packages/runtime MAX_PREFETCH); 16 lets it start at full speed.
  newKey: 16,
  perValid: 1,
  perKey: 256,
  // The 16-tab farm behind one NAT at full prefetch holds 256.
  perAddress: 512,
};

export interface Holdings {
  /** Leases the key holds now. */
  readonly key: number;
  /** Leases all keys of its address hold now. */
  readonly address: number;
  /** Validated results the key has delivered. */
  readonly validated: number;
}

/** How many more leases the key may be given now (never negative). */
export function leaseRoom(requested: number, held: Holdings, policy: LeaseRoomPolicy): number {
  const keyCap = Math.min(policy.perKey, policy.newKey + policy.perValid * held.validated);
  return Math.max(0, Math.min(requested, keyCap - held.key, policy.perAddress - held.address));
}
