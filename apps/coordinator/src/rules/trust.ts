// Adaptive replication as the coordinator ran it before issue 17's phase 2 (BOINC's), kept for the simulation's
// comparison (bench/sim/model); the coordinator now runs rules/reputation.ts. Volunteers earn trust through
// consecutive validated results, and a trusted volunteer's work is replicated with decreasing probability,
// never below the spot-check rate.
import type { AdaptiveReplication } from '@bricolage/protocol';
import type { Random } from '../clock';

export interface TrustRecord {
  readonly consecutiveValid: number;
  readonly flagged: boolean;
}

/** Probability that a work unit first leased to this volunteer is replicated to a full quorum. */
export function replicationProbability(trust: TrustRecord, policy: AdaptiveReplication): number {
  if (!policy.enabled || trust.flagged || trust.consecutiveValid < policy.trustAfter) return 1;
  // One half on earning trust, halving each time the record doubles.
  return Math.max(policy.spotCheckRate, policy.trustAfter / (2 * trust.consecutiveValid));
}

/** The quorum for a work unit whose first replica goes to this volunteer. */
export function quorumFor(trust: TrustRecord, policy: AdaptiveReplication, minQuorum: number, random: Random): number {
  if (minQuorum <= 1) return minQuorum;
  return random() < replicationProbability(trust, policy) ? minQuorum : 1;
}

export type TrustEvent = 'valid' | 'invalid' | 'error' | 'known_answer_failed';

/** One invalid result, error or failed known-answer resets trust; a failed known answer also flags. */
export function nextTrust(trust: TrustRecord, event: TrustEvent): TrustRecord {
  switch (event) {
    case 'valid':
      return { consecutiveValid: trust.consecutiveValid + 1, flagged: trust.flagged };
    case 'invalid':
    case 'error':
      return { consecutiveValid: 0, flagged: trust.flagged };
    case 'known_answer_failed':
      return { consecutiveValid: 0, flagged: true };
  }
}

/**
 * The trust events of one transaction, folded so that a store can apply them in one statement without
 * reading the record first: after any reset the count restarts at `validAfterReset`, else it grows by it.
 */
export interface TrustChange {
  readonly reset: boolean;
  readonly validAfterReset: number;
  readonly flag: boolean;
}

export const NO_TRUST_CHANGE: TrustChange = { reset: false, validAfterReset: 0, flag: false };

export function foldTrust(change: TrustChange, event: TrustEvent): TrustChange {
  switch (event) {
    case 'valid':
      return { ...change, validAfterReset: change.validAfterReset + 1 };
    case 'invalid':
    case 'error':
      return { reset: true, validAfterReset: 0, flag: change.flag };
    case 'known_answer_failed':
      return { reset: true, validAfterReset: 0, flag: true };
  }
}

/** The record after a folded change: the same as applying its events one by one with `nextTrust`. */
export function applyTrustChange(trust: TrustRecord, change: TrustChange): TrustRecord {
  return {
    consecutiveValid: (change.reset ? 0 : trust.consecutiveValid) + change.validAfterReset,
    flagged: trust.flagged || change.flag,
  };
}
