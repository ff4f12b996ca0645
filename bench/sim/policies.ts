// The checking policies compared. The first four are job settings the coordinator runs today, and run on the
// real coordinator, whose leasing is issue 17's (units drawn at random, separated by address and burst, a lease
// room that grows with delivered work, a lifetime whatever the heartbeats); `id-order` is quorum 2 under the
// leasing the audit measured, on the model only; `credibility` (Sarmenta) and `hardened` (the rest of issue
// 17's phase 2) exist only as pure rules in apps/coordinator/src/rules and run on the model of the store.
// Every policy also runs on the model, so that the model can be held against the coordinator where both run.
// Since phase 2's results side, the coordinator judges every key by its standing whatever the job's policy
// (rules/standing.ts: errors charged to the key's budget first, a key wrong twice or caught by a known answer
// silenced, re-checks of what a key validated alone once it loses trust) and earns `adaptive`'s trust by
// rules/reputation.ts; the shipped policies run that on the model too (`results: 'coordinator'`), so the model
// can take the figures to sizes HTTP cannot reach. `adaptive-copies` and `id-order` keep what ran before.
import type { CreateJobRequest } from '@bricolage/protocol';
import {
  DEFAULT_RETAKE,
  DEFAULT_SEPARATION,
  type RetakeRule,
  type SeparationPolicy,
} from '../../apps/coordinator/src/rules/assignment';
import type { CredibilityPolicy } from '../../apps/coordinator/src/rules/credibility';
import { DEFAULT_ERROR_BUDGET, type ErrorBudgetPolicy } from '../../apps/coordinator/src/rules/error-budget';
import { DEFAULT_LEASE_ROOM, type LeaseRoomPolicy } from '../../apps/coordinator/src/rules/lease-limits';
import { DEFAULT_TRUST, type TrustPolicy } from '../../apps/coordinator/src/rules/reputation';
import { trustPolicyOf } from '../../apps/coordinator/src/rules/standing';
import { RECHECK_MAX } from '../../apps/coordinator/src/steps/recheck';

export type Trust =
  | { readonly kind: 'none' }
  /** Adaptive replication before phase 2: rules/trust.ts. */
  | { readonly kind: 'adaptive'; readonly trustAfter: number; readonly spotCheckRate: number }
  /**
   * Phase 2: keys judged by rules/reputation.ts; `replicate` false when the job replicates every unit anyway
   * (the coordinator judges keys on such jobs too, by the grid's policy: they still lose their vote).
   */
  | { readonly kind: 'reputation'; readonly policy: TrustPolicy; readonly replicate: boolean }
  /** Sarmenta's credibility-based voting: rules/credibility.ts. */
  | { readonly kind: 'credibility'; readonly policy: CredibilityPolicy };

export interface Policy {
  readonly name: string;
  readonly about: string;
  /** Whether the coordinator can run it today: then it runs there, and on the model too. */
  readonly shipped: boolean;
  readonly minQuorum: number;
  readonly maxTotalResults: number;
  readonly maxErrorResults: number;
  readonly trust: Trust;
  /** Fraction of leases that are known-answer units (when the job has some). */
  readonly knownAnswerRate: number;
  /**
   * Known-answer units: none; copies of every 25th ordinary unit's input (as the workloads made them before
   * 2026-11-30: a cabal that saw both can tell); or fresh inputs, indistinguishable from ordinary ones (as the
   * workloads make them now: units of the job drawn at random, packages/workloads/src/known-answers.ts).
   */
  readonly probes: 'none' | 'copies' | 'fresh';
  /**
   * `id-order`: the store's leasing before issue 17's phase 2 (units in id order, 256 leases a key, heartbeats
   * renewing without limit). `hardened`: units drawn at random, kept apart by `separation`, within `leaseRoom`,
   * lease lifetimes capped: the coordinator's leasing since, for every job.
   */
  readonly leasing: 'id-order' | 'hardened';
  readonly separation?: SeparationPolicy;
  readonly leaseRoom?: LeaseRoomPolicy;
  /** Phase 2 only. */
  readonly errorBudget?: ErrorBudgetPolicy;
  /** Phase 2: results validated by a key that stops voting, since it was trusted, checked again (at most this many). */
  readonly recheck?: number;
  /**
   * Phase 2's results side as the coordinator runs it (`coordinator`: a silenced key is leased nothing, a
   * re-checked unit keeps its result until a re-check disagrees, known answers at the job's rate for every
   * key), or as proposed for the model-only policies (`proposed`: twice the known answers for keys not yet
   * trusted, a silenced key fed known answers only, silencing re-opening every recent vote of the key, a
   * re-opened unit out of the results until it validates again). Absent before phase 2.
   */
  readonly results?: 'coordinator' | 'proposed';
  /**
   * The retake rule (`hardened` leasing only; model/retake.ts), as the coordinator leases: a key may be leased
   * another replica of a unit whose replicas of its own it all gave back or let run out (never after a result or an
   * error), up to `most` times, the k-th after its wait (rules/assignment.ts RetakeRule), and only when the
   * ordinary draw gave it nothing of the job; known answers never. Absent: every replica ties its key to its unit
   * for good, as the coordinator did before 2026-12-04 (a grid of few keys could be left with a unit none of them
   * may take).
   */
  readonly retake?: RetakeRule;
}

/** The coordinator's leasing (steps/lease.ts, steps/draw.ts, steps/heartbeat.ts), with its default settings. */
const today = {
  leasing: 'hardened' as const,
  retake: DEFAULT_RETAKE,
  separation: DEFAULT_SEPARATION,
  leaseRoom: DEFAULT_LEASE_ROOM,
  maxTotalResults: 6,
  maxErrorResults: 3,
  errorBudget: DEFAULT_ERROR_BUDGET,
  recheck: RECHECK_MAX,
  results: 'coordinator' as const,
};

/** How the coordinator judges keys on a job that replicates every unit: by the grid's policy (standing.ts). */
const judgedOnly: Trust = { kind: 'reputation', policy: DEFAULT_TRUST, replicate: false };

/** The demo's adaptive settings, as the coordinator turns them into a trust policy (standing.ts). */
const DEMO_ADAPTIVE = { enabled: true, trustAfter: 10, spotCheckRate: 0.1 };

export const POLICIES: readonly Policy[] = [
  {
    name: 'quorum-2',
    about: 'two agreeing results, always',
    shipped: true,
    ...today,
    minQuorum: 2,
    trust: judgedOnly,
    knownAnswerRate: 0,
    probes: 'none',
  },
  {
    name: 'quorum-3',
    about: 'three agreeing results, always',
    shipped: true,
    ...today,
    maxTotalResults: 8,
    minQuorum: 3,
    trust: judgedOnly,
    knownAnswerRate: 0,
    probes: 'none',
  },
  {
    name: 'adaptive',
    about:
      "today's defaults as the demo uses them: quorum 2, adaptive replication, known answers (units of the job, not copies) in 10 % of leases",
    shipped: true,
    ...today,
    minQuorum: 2,
    trust: { kind: 'reputation', policy: trustPolicyOf(DEMO_ADAPTIVE) as TrustPolicy, replicate: true },
    knownAnswerRate: 0.1,
    probes: 'fresh',
  },
  {
    name: 'spot-check',
    about: 'one result per unit, known answers (units of the job, not copies) in 10 % of leases',
    shipped: true,
    ...today,
    minQuorum: 1,
    trust: judgedOnly,
    knownAnswerRate: 0.1,
    probes: 'fresh',
  },
  {
    name: 'adaptive-copies',
    about:
      'adaptive as it shipped before 2026-11-30: known answers were copies of ordinary inputs, which a cabal spots; trust by rules/trust.ts, no error budget',
    shipped: false,
    ...today,
    errorBudget: undefined,
    recheck: undefined,
    results: undefined,
    minQuorum: 2,
    trust: { kind: 'adaptive', trustAfter: 10, spotCheckRate: 0.1 },
    knownAnswerRate: 0.1,
    probes: 'copies',
  },
  {
    name: 'id-order',
    about: 'quorum 2 under the leasing the audit measured: units in id order, 256 leases a key, endless heartbeats',
    shipped: false,
    leasing: 'id-order',
    maxTotalResults: 6,
    maxErrorResults: 3,
    minQuorum: 2,
    trust: { kind: 'none' },
    knownAnswerRate: 0,
    probes: 'none',
  },
  {
    name: 'credibility',
    about:
      "Sarmenta's credibility-based voting (f = 0.2, error ≤ 10^-4), fresh known answers in 10 % of leases, blacklisting",
    shipped: false,
    leasing: 'hardened',
    retake: DEFAULT_RETAKE,
    minQuorum: 1,
    maxTotalResults: 12,
    maxErrorResults: 3,
    trust: { kind: 'credibility', policy: { saboteurs: 0.2, threshold: 0.9999 } },
    knownAnswerRate: 0.1,
    probes: 'fresh',
    separation: DEFAULT_SEPARATION,
    errorBudget: DEFAULT_ERROR_BUDGET,
    leaseRoom: DEFAULT_LEASE_ROOM,
    recheck: 1000,
    results: 'proposed',
  },
  {
    name: 'hardened',
    about:
      'phase 2 default: quorum 2, trust from known answers that fades and is lost at once, re-checks, separation, error budget, lease limits',
    shipped: false,
    leasing: 'hardened',
    retake: DEFAULT_RETAKE,
    minQuorum: 2,
    maxTotalResults: 6,
    maxErrorResults: 3,
    trust: { kind: 'reputation', policy: DEFAULT_TRUST, replicate: true },
    // Twice this for keys not yet trusted: 8 % of their leases, which keeps a cold grid under 2.2 results a unit.
    knownAnswerRate: 0.04,
    probes: 'fresh',
    separation: DEFAULT_SEPARATION,
    errorBudget: DEFAULT_ERROR_BUDGET,
    leaseRoom: DEFAULT_LEASE_ROOM,
    recheck: 1000,
    results: 'proposed',
  },
];

/** The job a shipped policy is on the real coordinator (square's spec and price come from the fixture). */
export function jobSettings(p: Policy): Partial<CreateJobRequest> {
  return {
    redundancy: {
      minQuorum: p.minQuorum,
      maxTotalResults: p.maxTotalResults,
      maxErrorResults: p.maxErrorResults,
      homogeneous: false,
    },
    adaptive:
      p.trust.kind === 'adaptive'
        ? { enabled: true, trustAfter: p.trust.trustAfter, spotCheckRate: p.trust.spotCheckRate }
        : p.trust.kind === 'reputation' && p.trust.replicate
          ? { enabled: true, trustAfter: p.trust.policy.trustAfter, spotCheckRate: p.trust.policy.spotCheckRate }
          : { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
    knownAnswerRate: p.knownAnswerRate,
    leaseSeconds: 600,
  };
}

/** The policy with the retake rule off, as before it shipped, named apart so that both show in one table (model only). */
export function withoutRetake(p: Policy): Policy {
  const { retake: _off, ...rest } = p;
  return { ...rest, name: `${p.name}-no-retake`, shipped: false };
}

/**
 * The policy with the retake rule of the sixth session (2026-12-04): one retake per key and unit, a lease period
 * after, named apart so that both show in one table (model only).
 */
export function withRetakeOnce(p: Policy): Policy {
  return { ...p, name: `${p.name}-retake-once`, shipped: false, retake: { most: 1, growth: 'doubling' } };
}
