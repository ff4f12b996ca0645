// The model store's verdicts: what a returned result, an error or an expired lease does to its unit and its
// key, under each policy. Today's policies follow sqlite-store.ts step by step (validate, replicasWanted,
// failureReason, quorumFor/nextTrust); the phase-2 policies apply rules/reputation, rules/credibility and
// rules/error-budget. The model knows the right answer only to count what got through, never to decide.
import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import type { Random } from '../../../apps/coordinator/src/clock';
import { credibleGroup, volunteerCredibility } from '../../../apps/coordinator/src/rules/credibility';
import { chargeError, creditValid } from '../../../apps/coordinator/src/rules/error-budget';
import { afterValid, afterWrong, type WrongAnswer, recheck } from '../../../apps/coordinator/src/rules/reputation';
import { nextTrust } from '../../../apps/coordinator/src/rules/trust';
import {
  failureReason,
  replicasWanted,
  type ReturnedResult,
  validate,
} from '../../../apps/coordinator/src/rules/validation';
import { square } from '../../../apps/coordinator/src/testing/fixtures';
import type { Policy } from '../policies';
import { type MKey, type MReplica, type MUnit, sameBytes } from './state';

export interface VerdictContext {
  readonly policy: Policy;
  readonly now: number;
  readonly random: Random;
  /** Called when a unit may want replicas again, so that leasing looks at it. */
  readonly wanting: (unit: MUnit) => void;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Whether the key's results count in quorums: phase 2's trust silences a key; otherwise every key votes. */
export const votes = (policy: Policy, key: MKey): boolean =>
  (policy.trust.kind !== 'reputation' && policy.trust.kind !== 'credibility') || key.reputation.voting;

/** A returned result. */
export function judge(ctx: VerdictContext, replica: MReplica, output: Uint8Array): void {
  const { unit, key } = replica;
  replica.output = output;
  replica.state = 'returned';
  if (unit.state === 'probe') {
    const good = sameBytes(output, unit.expected as Uint8Array);
    replica.state = good ? 'valid' : 'invalid';
    if (good) onValid(ctx, key, true);
    else onWrong(ctx, key, 'known_answer_failed');
    return;
  }
  unit.inFlight--;
  if (unit.state === 'validated') {
    const good = sameBytes(output, (unit.canonical as MReplica).output as Uint8Array);
    replica.state = good ? 'valid' : 'invalid';
    if (good) onValid(ctx, key, false);
    else onWrong(ctx, key, 'invalid');
    return;
  }
  if (unit.state !== 'in_progress' && unit.state !== 'unsent') {
    replica.state = 'superseded';
    return;
  }
  if (!votes(ctx.policy, key)) replica.state = 'void';
  decide(ctx, unit);
}

/** An error result (`expired`: a lease that ran out, which counts as one). */
export function onError(ctx: VerdictContext, replica: MReplica, expired: boolean): void {
  const { unit, key } = replica;
  const { policy } = ctx;
  replica.state = expired ? 'expired' : 'error';
  let countsForUnit = true;
  if (policy.errorBudget) {
    const charge = chargeError(key.budget, ctx.now, policy.errorBudget);
    key.budget = charge.budget;
    countsForUnit = charge.countsForUnit;
  } else key.trust = nextTrust(key.trust, 'error');
  if (unit.state === 'probe') return;
  unit.inFlight--;
  if (unit.state !== 'in_progress' && unit.state !== 'unsent') return;
  // A trusted volunteer's unreplicated unit that errs goes back to a full quorum.
  unit.quorum = Math.max(unit.quorum, policy.minQuorum);
  // An error past the key's allowance is the key's alone: the unit neither counts it nor the replica it took.
  if (countsForUnit) unit.errors++;
  else unit.issued--;
  settle(ctx, unit, largestGroup(unit));
}

/** Validates the unit if a group of its results qualifies; otherwise asks for more replicas or fails it. */
export function decide(ctx: VerdictContext, unit: MUnit): void {
  const { policy } = ctx;
  const ballots = unit.replicas.filter((r) => r.state === 'returned');
  if (policy.trust.kind === 'credibility') {
    const groups = groupsOf(ballots);
    const credibility = policy.trust.policy;
    const best = credibleGroup(
      groups.map((g) => g.map((r) => volunteerCredibility(r.key.spotChecks, credibility))),
      credibility,
    );
    if (best !== null) validated(ctx, unit, groups[best] as MReplica[]);
    else {
      // Not credible yet: one more replica at a time, while none is out.
      unit.quorum = Math.max(...groups.map((g) => g.length), 0) + 1;
      settle(ctx, unit, unit.quorum - 1);
    }
    return;
  }
  const results: ReturnedResult[] = ballots.map((r) => ({
    replica: r.id as LeaseNumber,
    volunteer: r.key.key as VolunteerKey,
    backend: 'webgpu',
    outputHash: hex(r.output as Uint8Array),
    output: r.output as Uint8Array,
  }));
  const outcome = validate(results, unit.quorum, { kind: 'exact' }, false);
  if (outcome.kind === 'pending') {
    settle(ctx, unit, outcome.largestGroup);
    return;
  }
  const valid = new Set<number>(outcome.valid);
  validated(
    ctx,
    unit,
    ballots.filter((r) => valid.has(r.id)),
  );
}

function validated(ctx: VerdictContext, unit: MUnit, group: readonly MReplica[]): void {
  const canonical = group[0] as MReplica;
  unit.state = 'validated';
  unit.need = 0;
  unit.canonical = canonical;
  if (!sameBytes(canonical.output as Uint8Array, square(unit.input))) unit.everWrong = true;
  for (const r of unit.replicas) {
    if (r.state !== 'returned') continue;
    if (group.includes(r)) {
      r.state = 'valid';
      r.key.votes.push({ unit, at: ctx.now, single: group.length === 1 });
      onValid(ctx, r.key, false);
    } else {
      r.state = 'invalid';
      onWrong(ctx, r.key, 'invalid');
    }
  }
}

function settle(ctx: VerdictContext, unit: MUnit, agree: number): void {
  const limits = ctx.policy;
  const counts = {
    quorum: unit.quorum,
    inFlight: unit.inFlight,
    largestGroup: agree,
    issued: unit.issued,
    errors: unit.errors,
  };
  if (failureReason(counts, limits)) {
    unit.state = 'failed';
    unit.need = 0;
    for (const r of unit.replicas) if (r.state === 'returned') r.state = 'superseded';
    return;
  }
  unit.need = replicasWanted(counts, limits);
  if (unit.need > 0) ctx.wanting(unit);
}

function largestGroup(unit: MUnit): number {
  return groupsOf(unit.replicas.filter((r) => r.state === 'returned')).reduce((n, g) => Math.max(n, g.length), 0);
}

function groupsOf(ballots: readonly MReplica[]): MReplica[][] {
  const groups: MReplica[][] = [];
  for (const r of ballots) {
    const g = groups.find((x) => sameBytes((x[0] as MReplica).output as Uint8Array, r.output as Uint8Array));
    if (g) g.push(r);
    else groups.push([r]);
  }
  return groups;
}

function onValid(ctx: VerdictContext, key: MKey, probe: boolean): void {
  const { policy, now } = ctx;
  key.validated++;
  if (policy.errorBudget) key.budget = creditValid(key.budget, now, policy.errorBudget);
  switch (policy.trust.kind) {
    case 'none':
    case 'adaptive':
      key.trust = nextTrust(key.trust, 'valid');
      return;
    case 'reputation':
      key.reputation = afterValid(key.reputation, now, policy.trust.policy, probe);
      return;
    case 'credibility':
      if (probe) key.spotChecks++;
      return;
  }
}

function onWrong(ctx: VerdictContext, key: MKey, kind: WrongAnswer): void {
  const { policy, now } = ctx;
  switch (policy.trust.kind) {
    case 'none':
    case 'adaptive':
      key.trust = nextTrust(key.trust, kind);
      return;
    case 'reputation': {
      const wasVoting = key.reputation.voting;
      const loss = afterWrong(key.reputation, now, policy.trust.policy, kind);
      key.reputation = loss.reputation;
      if (wasVoting && !loss.reputation.voting) {
        silence(ctx, key);
        return;
      }
      const singles = key.votes.filter((v) => v.single).map((v) => ({ unit: v.unit, validatedAt: v.at }));
      for (const unit of recheck(singles, loss.recheckSince, policy.recheck ?? 0)) reopen(ctx, unit, key);
      return;
    }
    case 'credibility':
      // Sarmenta's blacklisting: a failed spot check, and everything the key's vote decided is undone.
      if (kind === 'known_answer_failed' && key.reputation.voting) {
        key.reputation = { ...key.reputation, voting: false };
        silence(ctx, key);
      }
      return;
  }
}

/** A key that no longer votes: its pending results are void, and the units its vote decided are checked again. */
function silence(ctx: VerdictContext, key: MKey): void {
  for (const unit of new Set(key.votes.slice(-(ctx.policy.recheck ?? 0)).map((v) => v.unit))) reopen(ctx, unit, key);
  for (const r of key.held) if (r.state === 'returned') r.state = 'void';
}

/** Reopens a validated unit without `suspect`'s vote: the other results vote again, and more are issued. */
function reopen(ctx: VerdictContext, unit: MUnit, suspect: MKey): void {
  if (unit.state !== 'validated') return;
  for (const r of unit.replicas) {
    if (r.key === suspect) r.state = 'void';
    else if (r.state === 'valid' || r.state === 'invalid') r.state = 'returned';
  }
  unit.state = 'in_progress';
  unit.canonical = null;
  unit.quorum = Math.max(unit.quorum, ctx.policy.minQuorum);
  decide(ctx, unit);
}
