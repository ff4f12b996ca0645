// The model store's verdicts: what a returned result, an error or an expired lease does to its unit and its
// key, under each policy. The shipped policies follow the coordinator's steps (steps/validate.ts, recheck.ts:
// validate, replicasWanted, failureReason, the key's standing by rules/reputation and rules/error-budget, a
// re-checked unit keeping its result until a re-check disagrees); the proposed ones (`results: 'proposed'`)
// differ where policies.ts says (a known answer found suspect, steps/known-answers.ts, is the shipped ones' only); `adaptive-copies` and `id-order` judge as before phase 2 (rules/trust.ts).
// The model knows the right answer only to count what got through, never to decide.
import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import type { Random } from '../../../apps/coordinator/src/clock';
import { credibleGroup, volunteerCredibility } from '../../../apps/coordinator/src/rules/credibility';
import { chargeError, chargeExpiry, creditValid } from '../../../apps/coordinator/src/rules/error-budget';
import { suspectFor } from '../../../apps/coordinator/src/rules/known-answers';
import {
  afterReprieve,
  afterValid,
  afterWrong,
  type WrongAnswer,
  recheck,
} from '../../../apps/coordinator/src/rules/reputation';
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
  if (unit.state === 'suspect') {
    replica.state = 'superseded';
    return;
  }
  if (unit.state === 'probe') {
    const good = sameBytes(output, unit.expected as Uint8Array);
    if (!good && ctx.policy.results === 'coordinator' && foundSuspect(ctx, replica, output)) return;
    replica.state = good ? 'valid' : 'invalid';
    if (good) onValid(ctx, key, true);
    else onWrong(ctx, key, 'known_answer_failed');
    return;
  }
  unit.inFlight--;
  if (unit.state === 'validated') {
    judgeLate(ctx, replica, output);
    return;
  }
  if (unit.state !== 'in_progress' && unit.state !== 'unsent') {
    replica.state = 'superseded';
    return;
  }
  if (!votes(ctx.policy, key)) replica.state = 'void';
  decide(ctx, unit);
}

/**
 * As the coordinator judges a failed known answer (steps/known-answers.ts): when this failure makes vouched keys
 * of enough networks contradict the answer alike, the unit is suspect, this result is set aside and the earlier
 * failures alike are taken back (rules/reputation.ts `afterReprieve`). Returns whether it did.
 */
function foundSuspect(ctx: VerdictContext, replica: MReplica, output: Uint8Array): boolean {
  const { unit } = replica;
  const judged = unit.replicas.filter((r) => r.state === 'valid' || r.state === 'invalid');
  const votes = [...judged, { ...replica, state: 'invalid' as const, output }].map((r) => ({
    passed: r.state === 'valid',
    outputHash: r.output ? hex(r.output) : null,
    network: r.key.network,
    validated: r.key.validated,
  }));
  const suspect = suspectFor(votes, ctx.policy.minQuorum);
  if (suspect === null) return false;
  replica.state = 'superseded';
  unit.state = 'suspect';
  const { trust } = ctx.policy;
  for (const r of judged)
    if (r.state === 'invalid' && r.output && hex(r.output) === suspect) {
      r.state = 'superseded';
      if (trust.kind === 'reputation') r.key.reputation = afterReprieve(r.key.reputation, trust.policy);
    }
  return true;
}

/** An error result (`expired`: a lease that ran out, which counts as one). */
export function onError(ctx: VerdictContext, replica: MReplica, expired: boolean): void {
  const { unit, key } = replica;
  const { policy } = ctx;
  replica.state = expired ? 'expired' : 'error';
  let countsForUnit = true;
  if (policy.errorBudget) {
    const charge = (expired ? chargeExpiry : chargeError)(key.budget, ctx.now, policy.errorBudget);
    key.budget = charge.budget;
    countsForUnit = charge.countsForUnit;
  } else key.trust = nextTrust(key.trust, 'error');
  if (unit.state === 'probe' || unit.state === 'suspect') return;
  unit.inFlight--;
  // A re-check that did not come back is asked for again.
  if (unit.state === 'validated') wantAgain(ctx, unit);
  if (unit.state !== 'in_progress' && unit.state !== 'unsent') return;
  // A trusted volunteer's unreplicated unit that errs goes back to a full quorum.
  unit.quorum = Math.max(unit.quorum, policy.minQuorum);
  // An error past the key's allowance is the key's alone: the unit neither counts it nor the replica it took.
  if (countsForUnit) unit.errors++;
  else unit.issued--;
  settle(ctx, unit, largestGroup(unit));
}

/**
 * A lease given back uncomputed (steps/release.ts): the unit takes the replica back as if it had never been
 * issued, and the key is charged nothing (validate.ts `onRefusal`); a known answer still judging is charged as
 * the expiry it would have been, and one the grid withdrew (found suspect) costs nothing.
 */
export function onGiveBack(ctx: VerdictContext, replica: MReplica): void {
  const { unit } = replica;
  if (unit.state === 'probe') onError(ctx, replica, true);
  replica.state = 'released';
  // A known-answer unit (tag null) takes no count of its replicas, whatever its state.
  if (unit.tag === null) return;
  unit.inFlight--;
  unit.issued--;
  if (unit.state === 'validated') wantAgain(ctx, unit);
  else if (unit.state === 'in_progress' || unit.state === 'unsent') settle(ctx, unit, largestGroup(unit));
}

/** Validates the unit if a group of its results qualifies; otherwise asks for more replicas or fails it. */
export function decide(ctx: VerdictContext, unit: MUnit): void {
  const { policy } = ctx;
  // Results of a key that stopped voting count towards no quorum (they are set aside when the unit validates).
  const ballots = unit.replicas.filter((r) => r.state === 'returned' && votes(policy, r.key));
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
    if (!votes(ctx.policy, r.key)) r.state = 'superseded';
    else if (group.includes(r)) {
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
      const proposed = policy.results === 'proposed';
      if (proposed && wasVoting && !loss.reputation.voting) {
        silence(ctx, key);
        return;
      }
      const singles = key.votes.filter((v) => v.single).map((v) => ({ unit: v.unit, validatedAt: v.at }));
      const silenced = wasVoting && !loss.reputation.voting;
      for (const unit of recheck(singles, loss.recheckSince, policy.recheck ?? 0))
        if (proposed) reopen(ctx, unit, key);
        else recheckInPlace(ctx, unit, silenced ? key : null);
      // As the coordinator silences a key (recheck.ts): the units whose quorum counted its vote, newest first.
      if (!proposed && silenced)
        for (const v of key.votes
          .filter((x) => !x.single)
          .slice(-(policy.recheck ?? 0))
          .reverse())
          recheckVote(ctx, v.unit, key);
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

/** As proposed, a key that no longer votes: the units its vote decided are checked again. */
function silence(ctx: VerdictContext, key: MKey): void {
  for (const unit of new Set(key.votes.slice(-(ctx.policy.recheck ?? 0)).map((v) => v.unit))) reopen(ctx, unit, key);
}

/**
 * A result for a unit already validated (validate.ts `judgeLate`): judged against the canonical result. On a
 * unit under re-check the canonical result is the suspect one: agreement confirms it, disagreement takes the
 * unit back (`withdraw`). A key that no longer votes is not heard.
 */
function judgeLate(ctx: VerdictContext, replica: MReplica, output: Uint8Array): void {
  const { unit, key } = replica;
  const coordinator = ctx.policy.results === 'coordinator';
  if (coordinator && !votes(ctx.policy, key)) {
    replica.state = 'superseded';
    wantAgain(ctx, unit);
    return;
  }
  const good = sameBytes(output, (unit.canonical as MReplica).output as Uint8Array);
  const rechecking = coordinator && validCount(unit) < unit.quorum;
  if (good) {
    replica.state = 'valid';
    // A re-check that confirms is a vote of the unit's quorum now: the key's silencing checks it again.
    if (rechecking) key.votes.push({ unit, at: ctx.now, single: false });
    onValid(ctx, key, false);
  } else if (rechecking) withdraw(ctx, unit, replica);
  else {
    replica.state = 'invalid';
    onWrong(ctx, key, 'invalid');
  }
}

const validCount = (unit: MUnit): number => unit.replicas.filter((r) => r.state === 'valid').length;

/** A validated unit under re-check wants as many replicas as its quorum still lacks. */
function wantAgain(ctx: VerdictContext, unit: MUnit): void {
  if (unit.state !== 'validated') return;
  unit.need = replicasWanted(
    {
      quorum: unit.quorum,
      inFlight: unit.inFlight,
      largestGroup: validCount(unit),
      issued: unit.issued,
      errors: unit.errors,
    },
    ctx.policy,
  );
  if (unit.need > 0) ctx.wanting(unit);
}

/**
 * As the coordinator re-checks (recheck.ts): the unit keeps its result, its own result one vote of a full
 * quorum (at least 2; none when `silenced`, the key that stopped voting), and wants the others.
 */
function recheckInPlace(ctx: VerdictContext, unit: MUnit, silenced: MKey | null): void {
  if (unit.state !== 'validated') return;
  const vote = silenced && unit.replicas.find((r) => r.key === silenced && r.state === 'valid');
  if (vote) vote.state = 'void';
  unit.quorum = Math.max(2, ctx.policy.minQuorum);
  unit.need = Math.max(0, unit.quorum - validCount(unit) - unit.inFlight);
  if (unit.need > 0) ctx.wanting(unit);
}

/** As the coordinator re-checks a silenced key's quorum vote: it no longer counts, and the quorum wants one more. */
function recheckVote(ctx: VerdictContext, unit: MUnit, key: MKey): void {
  if (unit.state !== 'validated') return;
  const vote = unit.replicas.find((r) => r.key === key && r.state === 'valid');
  if (!vote) return;
  vote.state = 'void';
  unit.need = Math.max(0, unit.quorum - validCount(unit) - unit.inFlight);
  if (unit.need > 0) ctx.wanting(unit);
}

/**
 * A re-check disagreed (validate.ts `withdraw`): the unit leaves the results, the suspect's result and those that
 * agreed with it are set aside (the new quorum counts none of them), and `current` waits as the first vote of a new
 * quorum.
 */
function withdraw(ctx: VerdictContext, unit: MUnit, current: MReplica): void {
  if (unit.canonical) unit.canonical.state = 'superseded';
  for (const r of unit.replicas) if (r.state === 'valid') r.state = 'superseded';
  unit.state = 'in_progress';
  unit.canonical = null;
  current.state = 'returned';
  settle(ctx, unit, 1);
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
