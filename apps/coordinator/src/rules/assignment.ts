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
 * The latest a key's first replica of a unit may have ended, given back or run out with no answer, for the key to
 * retake the unit now (steps/lease.ts): a whole lease period later, in which every other key could take it. Without
 * the wait, keys that hoarded the last units of a job until their leases ran out took them straight back, and the
 * job finished twice as late (`npm run sim:adversary`, hoarders); a grid of few keys waits one lease period more.
 */
export const retakeEndedBy = (now: number, leaseSeconds: number): number => now - leaseSeconds * 1000;

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
