// Whose fault an error is (issue 17, wired in by its phase 2). An error result or an expired lease costs the
// volunteer first: each key has a small allowance of errors that grows with its validated work, and only an
// error within that allowance also counts towards the unit's `maxErrorResults` (it may be the unit's fault:
// a kernel that fails everywhere still fails its units). A key past its allowance gets no leases until its
// allowance has refilled, and its errors cost the unit nothing: the unit is simply issued again. Without this,
// four free keys that answer every lease with an error fail any unit for good in under a second.

export interface ErrorBudget {
  /** Errors the key may still make that count against a unit; fractional, refilled by validated results. */
  readonly allowance: number;
  /** When the allowance was last refilled by time (ms since the epoch). */
  readonly at: number;
}

export interface ErrorBudgetPolicy {
  /** A new key's allowance, and the most any key holds. */
  readonly initial: number;
  readonly max: number;
  /** Allowance earned per validated result. */
  readonly perValid: number;
  /** Allowance earned per hour, whatever the key did, so that a device that had a bad day is not shut out. */
  readonly perHour: number;
  /**
   * The lowest the allowance falls: a key past it is out for at most −floor / perHour hours after its last
   * error, however many errors it made at once (a tab closed with 256 leases would otherwise wait 256 hours).
   */
  readonly floor: number;
}

export const DEFAULT_ERROR_BUDGET: ErrorBudgetPolicy = {
  // One error on arrival: a fresh key (cheap to make) can cost a unit at most one of its maxErrorResults.
  initial: 1,
  max: 5,
  // An honest device erring up to one time in nine keeps its allowance.
  perValid: 0.125,
  perHour: 1,
  // An hour out at most: past its allowance a key's errors cost no unit anything anyway.
  floor: -1,
};

export const newBudget = (now: number, policy: ErrorBudgetPolicy): ErrorBudget => ({
  allowance: policy.initial,
  at: now,
});

/** The allowance as of `now`, refilled by the hours since it was last refilled. */
export function refilled(budget: ErrorBudget, now: number, policy: ErrorBudgetPolicy): ErrorBudget {
  const hours = Math.max(0, now - budget.at) / 3600_000;
  return { allowance: Math.min(policy.max, budget.allowance + hours * policy.perHour), at: now };
}

export interface ErrorCharge {
  readonly budget: ErrorBudget;
  /** True when the error also counts towards the unit's error results; false: the volunteer's alone. */
  readonly countsForUnit: boolean;
}

/** Charges one error result or expired lease to the key. */
export function chargeError(budget: ErrorBudget, now: number, policy: ErrorBudgetPolicy): ErrorCharge {
  const current = refilled(budget, now, policy);
  const allowance = Math.max(policy.floor, current.allowance - 1);
  return { budget: { ...current, allowance }, countsForUnit: current.allowance >= 1 };
}

/**
 * Charges one expired lease. It costs the unit an error only within the key's allowance, as an error result
 * does, but it never takes the allowance below zero: a tab closed with its leases (or a laptop that slept)
 * is not shut out when it comes back. Hoarding leases is bounded by the key's lease room instead
 * (lease-limits.ts), which grows only with validated work.
 */
export function chargeExpiry(budget: ErrorBudget, now: number, policy: ErrorBudgetPolicy): ErrorCharge {
  const current = refilled(budget, now, policy);
  const allowance = current.allowance < 0 ? current.allowance : Math.max(0, current.allowance - 1);
  return { budget: { ...current, allowance }, countsForUnit: current.allowance >= 1 };
}

/** After a validated result of the key. */
export function creditValid(budget: ErrorBudget, now: number, policy: ErrorBudgetPolicy): ErrorBudget {
  const current = refilled(budget, now, policy);
  return { ...current, allowance: Math.min(policy.max, current.allowance + policy.perValid) };
}

/** When a key whose allowance is spent may lease again: once the hours have refilled it to zero. */
export function leaseAgainAt(budget: ErrorBudget, now: number, policy: ErrorBudgetPolicy): number {
  const current = refilled(budget, now, policy);
  if (current.allowance >= 0) return now;
  return now + Math.ceil((-current.allowance / policy.perHour) * 3600_000);
}

/** Whether the key may lease now: not while its allowance is spent (below zero: it erred past it). */
export function mayLease(budget: ErrorBudget, now: number, policy: ErrorBudgetPolicy): boolean {
  return refilled(budget, now, policy).allowance >= 0;
}
