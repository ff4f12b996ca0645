// Token buckets per key (a client address's bucket, a volunteer key, a project), kept in memory: a restart
// forgives everyone. The limits themselves, and why they are what they are, live in ../config.ts.
import type { Clock } from '../clock';

export interface RateLimit {
  /** Sustained requests per second (a fraction for slow budgets: 64 an hour is 64 / 3600). */
  readonly perSecond: number;
  /** Requests allowed in a burst. */
  readonly burst: number;
}

/** Taken, or refused with the whole seconds until one more would be allowed (the Retry-After header). */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfter: number };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {}

  /** Takes `cost` tokens from `key`'s bucket (a request that does the work of many costs more than one). */
  take(key: string, cost = 1): RateDecision {
    const b = this.refilled(key);
    const needed = Math.min(cost, this.limit.burst);
    if (b.tokens < needed)
      return { ok: false, retryAfter: Math.max(1, Math.ceil((needed - b.tokens) / this.limit.perSecond)) };
    b.tokens -= needed;
    return { ok: true };
  }

  private refilled(key: string): { tokens: number; at: number } {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= 100_000) this.sweep(now);
      b = { tokens: this.limit.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond);
    b.at = now;
    return b;
  }

  /** Drops buckets that have refilled completely: they are no different from a new one. */
  private sweep(now: number): void {
    const full = (this.limit.burst / this.limit.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > full) this.buckets.delete(k);
  }
}
