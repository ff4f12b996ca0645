// Who may hold which replica (issue 17, wired into leasing in its phase 2): work units drawn at random from
// the wanting ones rather than in id order, and never two replicas of one unit to keys that share an address
// or arrived in one burst from one network. In id order, two keys leasing back to back receive the same
// replicas: a cabal needs nothing more to vote on its own answers.
import type { Random } from '../clock';

/** A volunteer key as the separation rule sees it. */
export interface Holder {
  readonly volunteer: string;
  /** The client address's rate-limit bucket (an IPv6 /64 counts as one), as `http/client-address.ts` makes it. */
  readonly address: string;
  /** Its network: the /24 of an IPv4 address, the /48 of an IPv6 one (`networkOf`). */
  readonly network: string;
  /** When the coordinator first saw the key (its first token), ms since the epoch. */
  readonly firstSeen: number;
  /**
   * Whether its address is one whose keys may validate each other: the operator's own farm behind one NAT, or
   * loopback on a developer's machine (the coordinator's SEPARATION_EXEMPT). Never in the simulated grids.
   */
  readonly exempt?: boolean;
}

export interface SeparationPolicy {
  /** Keys from one network first seen within this many ms of each other belong to one burst. */
  readonly burstMs: number;
  /** A burst is only a reason while the younger key is at most this old: a year-old pair is not a burst. */
  readonly recentMs: number;
}

export const DEFAULT_SEPARATION: SeparationPolicy = {
  // The audit's 3,007 keys arrived in 7.7 s from one address; an attacker with a block of addresses rotates
  // through it. A burst is counted within one network only: readers of a popular page that embeds the widget
  // arrive by the thousand in a minute too, but from everywhere, and must be able to check each other.
  burstMs: 10 * 60_000,
  recentMs: 24 * 3600_000,
};

/** Why two keys may not both hold replicas of one work unit, or null when they may. */
export function conflict(a: Holder, b: Holder, now: number, policy: SeparationPolicy): string | null {
  if (a.volunteer === b.volunteer) return 'same key';
  if (a.exempt === true && b.exempt === true) return null;
  if (a.address === b.address) return 'same address';
  const younger = Math.max(a.firstSeen, b.firstSeen);
  if (
    a.network === b.network &&
    Math.abs(a.firstSeen - b.firstSeen) < policy.burstMs &&
    now - younger <= policy.recentMs
  )
    return 'same burst of new keys from one network';
  return null;
}

/** The network an address belongs to for the burst rule: its /24 (IPv4) or /48 (IPv6). */
export function networkOf(address: string): string {
  if (address.includes(':')) return address.split(':').slice(0, 3).join(':');
  return address.split('.').slice(0, 3).join('.');
}

/**
 * How often, and how long after, a key may retake a unit whose replicas of its own all came back with no answer
 * (given back or run out; steps/lease.ts, only when the job has nothing else for the key). The k-th retake waits
 * `2^(k-1)` whole lease periods after the key's previous replica of the unit ended: in each wait every other key
 * may take the unit. With one retake a lease period after, four keys that each lose half their leases left 2-5 %
 * of their units for good; with up to three retakes, doubling, every run on the model finished (two left a few,
 * and so did three with waits growing by one period); four keep one in hand. A wait that doubles keeps a hoarder
 * off a unit a growing share of the time, and `most` bounds the rows a key adds per unit and the time it may hold
 * one to five lease lifetimes (BENCHMARKS.md, Adversaries).
 */
export interface RetakeRule {
  /** Retakes per key and unit at most: a key holds at most `most + 1` replicas of a unit. */
  readonly most: number;
  /** The lease periods the k-th retake waits after the key's previous replica of the unit ended. */
  readonly growth: 'doubling' | 'linear';
}

export const DEFAULT_RETAKE: RetakeRule = { most: 4, growth: 'doubling' };

/** Lease periods the `k`-th retake (k >= 1) waits after the key's previous replica of the unit ended. */
export const retakeWaitPeriods = (k: number, rule: RetakeRule): number =>
  rule.growth === 'doubling' ? 2 ** (k - 1) : k;

/**
 * For each attempt a key's latest replica of a unit was (index 0: its first replica; k: its k-th retake), the latest
 * that replica may have ended for the key to retake the unit now. An attempt past the list may not be followed.
 * Without a wait, keys that hoarded the last units of a job until their leases ran out took them straight back,
 * and the job finished twice as late (`npm run sim:adversary`, hoarders).
 */
export function retakeEndedBy(now: number, leaseSeconds: number, rule: RetakeRule = DEFAULT_RETAKE): number[] {
  return Array.from(
    { length: rule.most },
    (_, attempt) => now - retakeWaitPeriods(attempt + 1, rule) * leaseSeconds * 1000,
  );
}

/** Whether `candidate` may be leased a replica of a unit whose replicas `holders` hold (or returned). */
export function mayHold(holders: readonly Holder[], candidate: Holder, now: number, policy: SeparationPolicy): boolean {
  return holders.every((h) => conflict(h, candidate, now, policy) === null);
}

/**
 * Up to `count` items drawn uniformly without replacement, in draw order; the input is left as it was.
 * Leasing draws from a window of wanting units several times larger than the request, so that which units a
 * key receives cannot be predicted from which another key received.
 */
export function sample<T>(items: readonly T[], count: number, random: Random): T[] {
  return new Draw(items, random).take(count);
}

/**
 * Items drawn uniformly without replacement a few at a time, in one draw order: taking 3 then 2 gives what
 * taking 5 at once would. Lets a lease check the units it drew one batch at a time and stop once it has
 * enough, instead of checking a whole window (the first `take` gives exactly what `sample` gives).
 */
export class Draw<T> {
  readonly #pool: T[];
  readonly #random: Random;
  #next = 0;

  constructor(items: readonly T[], random: Random) {
    this.#pool = [...items];
    this.#random = random;
  }

  /** Items not drawn yet. */
  get left(): number {
    return this.#pool.length - this.#next;
  }

  /** The next `count` items of the draw (fewer when fewer are left). */
  take(count: number): T[] {
    const pool = this.#pool;
    const from = this.#next;
    const end = Math.min(pool.length, from + Math.max(0, count));
    for (let i = from; i < end; i++) {
      const j = i + Math.floor(this.#random() * (pool.length - i));
      const swap = pool[i] as T;
      pool[i] = pool[j] as T;
      pool[j] = swap;
    }
    this.#next = end;
    return pool.slice(from, end);
  }
}
