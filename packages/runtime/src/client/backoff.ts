// Retry delays: exponential growth to a cap, with jitter so that a fleet of volunteers retrying after
// a coordinator outage does not arrive in lockstep.

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 30_000, factor: 2 };

/** Delay before retry number `attempt` (0 for the first retry): uniform in [d/2, d], d = base·factor^attempt ≤ max. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(policy.maxMs, policy.baseMs * policy.factor ** exponent);
  return ceiling / 2 + random() * (ceiling / 2);
}
