// A volunteer key's standing: its reputation (reputation.ts) and its error budget (error-budget.ts), and what
// one verdict does to both. The steps gather a transaction's verdicts as events and fold them here twice: as
// they decide (the error budget says whether an error counts against its unit), and once more on the key's row
// locked at commit, whose result is what is stored, so that two coordinators judging one key's results at
// once lose neither verdict.
import type { AdaptiveReplication } from '@bricolage/protocol';
import {
  chargeError,
  chargeExpiry,
  creditValid,
  DEFAULT_ERROR_BUDGET,
  type ErrorBudget,
  type ErrorBudgetPolicy,
} from './error-budget';
import {
  afterReprieve,
  afterValid,
  afterWrong,
  DEFAULT_TRUST,
  NEW_KEY,
  type Reputation,
  type TrustPolicy,
} from './reputation';

export interface Standing {
  readonly reputation: Reputation;
  readonly budget: ErrorBudget;
}

/** What a verdict says of the key; `trust` is the policy of the job the result was for. */
export type StandingEvent =
  | { readonly kind: 'valid'; readonly probe: boolean; readonly trust: TrustPolicy }
  | { readonly kind: 'invalid' | 'known_answer_failed'; readonly trust: TrustPolicy }
  /** A known answer it failed was found suspect since (rules/known-answers.ts): that failure is taken back. */
  | { readonly kind: 'reprieved'; readonly trust: TrustPolicy }
  | { readonly kind: 'error' }
  /** A lease that ran out: charged like an error, but never past the allowance (error-budget.ts `chargeExpiry`). */
  | { readonly kind: 'expired' };

/** A new key, as of `now`. */
export const newStanding = (now: number, budget = DEFAULT_ERROR_BUDGET): Standing => ({
  reputation: NEW_KEY,
  budget: { allowance: budget.initial, at: now },
});

/**
 * A job's trust policy: its own threshold (validated results, fading) and spot-check floor, the rest the
 * grid's (known answers needed, half-life, strikes). Null when the job replicates every unit.
 */
export function trustPolicyOf(adaptive: AdaptiveReplication): TrustPolicy | null {
  if (!adaptive.enabled) return null;
  return { ...DEFAULT_TRUST, trustAfter: adaptive.trustAfter, spotCheckRate: adaptive.spotCheckRate };
}

/** The policy a verdict on a job's result judges the key by: the job's, or the grid's when the job has none. */
export const judgingPolicy = (adaptive: AdaptiveReplication): TrustPolicy => trustPolicyOf(adaptive) ?? DEFAULT_TRUST;

export interface Folded {
  readonly standing: Standing;
  /** Whether the last error folded counts against its unit (error-budget.ts). */
  readonly errorCountsForUnit: boolean;
  /** The earliest moment since which the key's single-replica results are to be checked again, or null. */
  readonly recheckSince: number | null;
  /** True when the key stopped voting in these events. */
  readonly silenced: boolean;
}

/** A fold under way: what `Folded` says, and whether the key voted before the first event. */
export interface Folding extends Folded {
  readonly wasVoting: boolean;
}

/** A fold of no events yet from `start`. */
export const startFolding = (start: Standing): Folding => ({
  standing: start,
  errorCountsForUnit: true,
  recheckSince: null,
  silenced: false,
  wasVoting: start.reputation.voting,
});

/**
 * Applies more events in order at `now` to a fold under way: folding a key's events one verdict at a time this
 * way costs what folding them once does, where folding them all again at each verdict grew with their square.
 */
export function foldMore(
  from: Folding,
  events: readonly StandingEvent[],
  now: number,
  budgetPolicy: ErrorBudgetPolicy = DEFAULT_ERROR_BUDGET,
): Folding {
  let { reputation, budget } = from.standing;
  let { errorCountsForUnit, recheckSince } = from;
  for (const e of events) {
    switch (e.kind) {
      case 'valid':
        reputation = afterValid(reputation, now, e.trust, e.probe);
        budget = creditValid(budget, now, budgetPolicy);
        break;
      case 'invalid':
      case 'known_answer_failed': {
        const loss = afterWrong(reputation, now, e.trust, e.kind);
        reputation = loss.reputation;
        if (loss.recheckSince !== null)
          recheckSince = recheckSince === null ? loss.recheckSince : Math.min(recheckSince, loss.recheckSince);
        break;
      }
      case 'reprieved':
        reputation = afterReprieve(reputation, e.trust);
        break;
      case 'error':
      case 'expired': {
        const charge = (e.kind === 'error' ? chargeError : chargeExpiry)(budget, now, budgetPolicy);
        budget = charge.budget;
        errorCountsForUnit = charge.countsForUnit;
        break;
      }
    }
  }
  return {
    standing: { reputation, budget },
    errorCountsForUnit,
    recheckSince,
    silenced: from.wasVoting && !reputation.voting,
    wasVoting: from.wasVoting,
  };
}

/** Applies the events in order at `now`. */
export function fold(
  start: Standing,
  events: readonly StandingEvent[],
  now: number,
  budgetPolicy: ErrorBudgetPolicy = DEFAULT_ERROR_BUDGET,
): Folded {
  return foldMore(startFolding(start), events, now, budgetPolicy);
}

/** A stored standing as of `now`: a budget never charged (dated null) holds its allowance from now on. */
export function standingAt(
  stored: {
    readonly reputation: Reputation;
    readonly budget: { readonly allowance: number; readonly at: number | null };
  },
  now: number,
): Standing {
  return { reputation: stored.reputation, budget: { allowance: stored.budget.allowance, at: stored.budget.at ?? now } };
}
