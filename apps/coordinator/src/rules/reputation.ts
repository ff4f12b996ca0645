// A volunteer key's standing (issue 17, phase 2 wires it in place of trust.ts): trust is earned only through
// validated work that includes passed known-answer units, it fades when the key stops earning it, and one
// wrong answer loses it at once. A key that fails a known answer, or is wrong again and again, stops voting:
// its results count towards no quorum. The results it had validated alone since it was trusted are checked
// again by others (`recheck`). A known answer later found suspect (rules/known-answers.ts) takes back what it
// did to the keys that failed it (`afterReprieve`), all but their trust. Sarmenta (2002) shows why the known answers matter: voting alone cannot tell
// a cabal that agrees with itself from honest volunteers who agree.
import type { Random } from '../clock';

export interface Reputation {
  /** Validated results since trust was last lost, each counting for less as it ages (see `halfLifeMs`). */
  readonly record: number;
  /** Known-answer units passed since trust was last lost. */
  readonly probesPassed: number;
  /** When `record` was last brought up to date (ms since the epoch). */
  readonly at: number;
  /** When the key last became trusted, or null while it is not: the start of what a loss re-checks. */
  readonly trustedSince: number | null;
  /** Wrong answers in its whole history: invalid results and failed known answers. */
  readonly strikes: number;
  /** Known answers it failed that still stand (not found suspect since): any one of them ends its vote. */
  readonly caught: number;
  /** False once the key failed a known answer, or had `maxStrikes` invalid results. */
  readonly voting: boolean;
}

export interface TrustPolicy {
  /** Decayed validated results needed before a key's units may go unreplicated. */
  readonly trustAfter: number;
  /** Known-answer units passed (since the last loss) needed as well. */
  readonly minProbes: number;
  /** The record halves every `halfLifeMs` without new validated work. */
  readonly halfLifeMs: number;
  /** A trusted key's units are replicated with probability ½ on earning trust, halving every `halveEvery` results. */
  readonly halveEvery: number;
  /** Floor on the probability that a trusted key's unit is replicated anyway: the spot-check rate. */
  readonly spotCheckRate: number;
  /** Invalid results after which a key stops voting (a failed known answer stops it at once). */
  readonly maxStrikes: number;
}

export const DEFAULT_TRUST: TrustPolicy = {
  // Today's rule trusted a key after 10 agreeing results, which two Sybil keys earn from each other in
  // seconds. With separation (assignment.ts) they must earn it beside strangers, and 40 in a row plus 3
  // known answers makes a saboteur who is wrong one time in ten succeed once per ~700 results (0.9^40 ≈
  // 1.5 %). Figures for these choices, and for saboteurs wrong less often: BENCHMARKS.md, adversary simulation.
  trustAfter: 40,
  minProbes: 3,
  // From ½ on earning trust to the 10 % floor within 25 more results: a volunteer with a long record costs
  // little more than one result per unit.
  halveEvery: 10,
  halfLifeMs: 7 * 24 * 3600_000,
  spotCheckRate: 0.1,
  // An honest device is wrong rarely (a flaky GPU, a cosmic ray); twice is a pattern.
  maxStrikes: 2,
};

export const NEW_KEY: Reputation = {
  record: 0,
  probesPassed: 0,
  at: 0,
  trustedSince: null,
  strikes: 0,
  caught: 0,
  voting: true,
};

/** The record as of `now`, halved for every half-life since it was last updated. */
export function decayedRecord(rep: Reputation, now: number, policy: TrustPolicy): number {
  const elapsed = Math.max(0, now - rep.at);
  return rep.record * 0.5 ** (elapsed / policy.halfLifeMs);
}

export function isTrusted(rep: Reputation, now: number, policy: TrustPolicy): boolean {
  return rep.voting && rep.probesPassed >= policy.minProbes && decayedRecord(rep, now, policy) >= policy.trustAfter;
}

/** Probability that a unit first leased to this key is replicated to a full quorum. */
export function replicationProbability(rep: Reputation, now: number, policy: TrustPolicy): number {
  if (!isTrusted(rep, now, policy)) return 1;
  // One half on earning trust, as BOINC's adaptive replication, then halving every `halveEvery` results more.
  const beyond = decayedRecord(rep, now, policy) - policy.trustAfter;
  return Math.max(policy.spotCheckRate, 0.5 * 0.5 ** (beyond / policy.halveEvery));
}

/** The quorum of a work unit whose first replica goes to this key. */
export function quorumFor(
  rep: Reputation,
  now: number,
  policy: TrustPolicy,
  minQuorum: number,
  random: Random,
): number {
  if (minQuorum <= 1) return minQuorum;
  return random() < replicationProbability(rep, now, policy) ? minQuorum : 1;
}

/** After one of the key's results validated (`probe`: it was a known-answer unit it got right). */
export function afterValid(rep: Reputation, now: number, policy: TrustPolicy, probe: boolean): Reputation {
  const next: Reputation = {
    ...rep,
    record: decayedRecord(rep, now, policy) + 1,
    probesPassed: rep.probesPassed + (probe ? 1 : 0),
    at: now,
  };
  if (next.trustedSince === null && isTrusted(next, now, policy)) return { ...next, trustedSince: now };
  return next;
}

export type WrongAnswer = 'invalid' | 'known_answer_failed';

export interface Loss {
  readonly reputation: Reputation;
  /** Single-replica results validated since this moment are to be checked again; null when it was not trusted. */
  readonly recheckSince: number | null;
}

/** After a wrong answer: trust is gone at once; a failed known answer, or one strike too many, ends its vote. */
export function afterWrong(rep: Reputation, now: number, policy: TrustPolicy, kind: WrongAnswer): Loss {
  const strikes = rep.strikes + 1;
  return {
    reputation: {
      record: 0,
      probesPassed: 0,
      at: now,
      trustedSince: null,
      strikes,
      caught: rep.caught + (kind === 'known_answer_failed' ? 1 : 0),
      voting: rep.voting && kind === 'invalid' && strikes < policy.maxStrikes,
    },
    recheckSince: rep.trustedSince,
  };
}

/**
 * After a known answer the key failed was found suspect (rules/known-answers.ts): the failure is no longer
 * its strike nor its catch, and it votes again unless something else still stands against it (another known
 * answer failed, or its strikes). Its trust, already lost, is not given back: it earns it again, as after
 * any loss, and what was re-checked when it lost it stays re-checked.
 */
export function afterReprieve(rep: Reputation, policy: TrustPolicy): Reputation {
  const strikes = Math.max(0, rep.strikes - 1);
  const caught = Math.max(0, rep.caught - 1);
  return { ...rep, strikes, caught, voting: caught === 0 && strikes < policy.maxStrikes };
}

export interface SingleResult<U> {
  readonly unit: U;
  /** When the unit validated on this key's result alone. */
  readonly validatedAt: number;
}

/** The key's single-replica results to check again after a loss: since it was trusted, newest first, at most `max`. */
export function recheck<U>(singles: readonly SingleResult<U>[], since: number | null, max: number): U[] {
  if (since === null) return [];
  return singles
    .filter((s) => s.validatedAt >= since)
    .sort((a, b) => b.validatedAt - a.validatedAt)
    .slice(0, max)
    .map((s) => s.unit);
}
