// The validator: when enough replicas agree, one result becomes canonical (BOINC's min_quorum rule).
import type { BackendClass, Comparator, LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import { agree, type Comparable } from './compare';

export interface ReturnedResult extends Comparable {
  readonly replica: LeaseNumber;
  readonly volunteer: VolunteerKey;
  readonly backend: BackendClass;
}

export type ValidationOutcome =
  | {
      readonly kind: 'canonical';
      readonly canonical: ReturnedResult;
      readonly valid: readonly LeaseNumber[];
      readonly invalid: readonly LeaseNumber[];
    }
  | { readonly kind: 'pending'; readonly largestGroup: number };

/**
 * Groups results that agree with a group's first member (in return order); with homogeneous
 * redundancy only results of one backend class can share a group. The first group to reach the
 * quorum wins; results outside it are invalid.
 */
export function validate(
  results: readonly ReturnedResult[],
  quorum: number,
  comparator: Comparator,
  homogeneous: boolean,
): ValidationOutcome {
  const groups: ReturnedResult[][] = [];
  for (const r of results) {
    const group = groups.find((g) => {
      const head = g[0] as ReturnedResult;
      return (!homogeneous || head.backend === r.backend) && agree(comparator, head, r);
    });
    if (group) group.push(r);
    else groups.push([r]);
  }
  const winner = groups.find((g) => g.length >= quorum);
  if (!winner) return { kind: 'pending', largestGroup: groups.reduce((n, g) => Math.max(n, g.length), 0) };
  const valid = new Set(winner.map((r) => r.replica));
  return {
    kind: 'canonical',
    canonical: winner[0] as ReturnedResult,
    valid: [...valid],
    invalid: results.filter((r) => !valid.has(r.replica)).map((r) => r.replica),
  };
}

export interface ReplicaCounts {
  readonly quorum: number;
  readonly inFlight: number;
  readonly largestGroup: number;
  readonly issued: number;
  readonly errors: number;
}

export interface RedundancyLimits {
  readonly maxTotalResults: number;
  readonly maxErrorResults: number;
}

/** Replicas to issue now so that, if all agree, a quorum can form. */
export function replicasWanted(c: ReplicaCounts, limits: RedundancyLimits): number {
  const wanted = Math.max(0, c.quorum - c.inFlight - c.largestGroup);
  return Math.min(wanted, Math.max(0, limits.maxTotalResults - c.issued));
}

/** Why a work unit that has not validated can never validate, or null if it still can. */
export function failureReason(c: ReplicaCounts, limits: RedundancyLimits): string | null {
  if (c.errors > limits.maxErrorResults)
    return `too many error results (${c.errors} > maxErrorResults ${limits.maxErrorResults})`;
  if (c.inFlight === 0 && c.issued >= limits.maxTotalResults && c.largestGroup < c.quorum)
    return `no quorum of ${c.quorum} after ${c.issued} results (maxTotalResults ${limits.maxTotalResults})`;
  return null;
}
