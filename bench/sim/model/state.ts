// The model store's state: work units, replicas and keys as plain objects. Only the simulation uses it.
import type { TrustRecord } from '../../../apps/coordinator/src/rules/trust';
import type { ErrorBudget } from '../../../apps/coordinator/src/rules/error-budget';
import type { Reputation } from '../../../apps/coordinator/src/rules/reputation';

export type UnitState = 'unsent' | 'in_progress' | 'validated' | 'failed' | 'probe' | 'suspect';
export type ReplicaState =
  | 'leased'
  | 'returned'
  | 'valid'
  | 'invalid'
  | 'error'
  | 'expired'
  /** Given back uncomputed (Grid.release). */
  | 'released'
  | 'superseded'
  | 'void';

export interface MUnit {
  readonly index: number;
  /** The researcher's tag; null for a known-answer unit. */
  readonly tag: string | null;
  readonly input: Uint8Array;
  readonly expected: Uint8Array | null;
  state: UnitState;
  quorum: number;
  need: number;
  inFlight: number;
  issued: number;
  errors: number;
  replicas: MReplica[];
  canonical: MReplica | null;
  /** Once it validated on a wrong result, even if a re-check corrected it later. */
  everWrong: boolean;
}

export interface MReplica {
  readonly id: number;
  readonly unit: MUnit;
  readonly key: MKey;
  state: ReplicaState;
  readonly leasedAt: number;
  deadline: number;
  output: Uint8Array | null;
}

export interface MKey {
  readonly key: string;
  readonly address: string;
  readonly network: string;
  readonly firstSeen: number;
  /** Today's adaptive replication record (rules/trust.ts). */
  trust: TrustRecord;
  /** Phase 2's record (rules/reputation.ts). */
  reputation: Reputation;
  budget: ErrorBudget;
  validated: number;
  /** Known-answer units passed (credibility-based voting's spot checks). */
  spotChecks: number;
  readonly held: Set<MReplica>;
  /** Known-answer units it was ever leased (each is leased to a key once). */
  readonly probed: Set<MUnit>;
  /**
   * Ordinary units whose latest replica of this key was given back or ran out (and none before it answered), with
   * when it ended (its deadline, or when it was given back) and which attempt it was (0 the first, k the k-th
   * retake): those it may take again under the retake rule (policies.ts `retake`), once its wait is over. A unit
   * leaves the map when retaken or failed.
   */
  readonly lost: Map<MUnit, { readonly ended: number; readonly attempt: number }>;
  /** Units whose validation this key's vote was needed for (single replicas and minimal quorums), oldest first. */
  readonly votes: { readonly unit: MUnit; readonly at: number; readonly single: boolean }[];
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
