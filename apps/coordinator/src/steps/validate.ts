// Validate: the verdicts on a work unit (BOINC's validator). A returned result joins the unit's earlier ones
// until a quorum agrees (a known-answer unit is judged in known-answers.ts); a result that arrives
// after its unit validated is judged against the canonical one, and one that re-checks a unit validated on a
// suspect key's result alone (recheck.ts) takes that unit back from the results when it disagrees. Results of
// a key that stopped voting (rules/reputation.ts) count towards no quorum. A unit that can no longer validate
// fails (rules/validation.ts decides which); one that can wants replicas again.
import type { LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import { agree } from '../rules/compare';
import { failureReason, replicasWanted, validate } from '../rules/validation';
import { isKnownAnswer, type WorkUnitRecord } from '../store/records';
import type { JobFacts, StepContext } from './context';
import { type Ballot, counts as votes, credit, discredit } from './credit';
import { payFor } from './fund';

const countsOf = (w: WorkUnitRecord) => ({
  quorum: w.quorum,
  inFlight: w.inFlight,
  largestGroup: w.agree,
  issued: w.issued,
  errors: w.errors,
});

/** Whether a unit that has not validated may hold results waiting for a verdict (which must be read then). */
const mayHoldReturned = (w: WorkUnitRecord): boolean => w.agree > 0 || w.issued - w.inFlight - w.errors > 0;

/** The results waiting for a verdict on those of `units` that may hold any, by unit, in one read. */
export async function waitingBallots(
  ctx: StepContext,
  units: Iterable<WorkUnitRecord>,
): Promise<Map<WorkUnitNumber, Ballot[]>> {
  const waiting = [...new Set([...units].filter(mayHoldReturned).map((w) => w.id))];
  const returned = new Map<WorkUnitNumber, Ballot[]>();
  if (waiting.length > 0)
    for (const r of await ctx.tx.returnedFor(waiting))
      returned.set(r.workUnit, [...(returned.get(r.workUnit) ?? []), r]);
  return returned;
}

/**
 * A result for a unit still looking for its quorum. `earlier` are the unit's results already waiting;
 * `current` has just come back and is not stored yet: its output is written only if it may be needed
 * (the unit still waits, or it is the canonical result).
 */
export function judgeQuorum(
  ctx: StepContext,
  job: JobFacts,
  wu: WorkUnitRecord,
  earlier: readonly Ballot[],
  current: Ballot,
): void {
  const def = job.definition;
  const voting = votes(ctx, current);
  // A silenced key's result is taken and set aside: it neither helps nor hinders a quorum.
  if (!voting) ctx.changes.setReplica(current.replica, { state: 'superseded' });
  const results = [...earlier.filter((b) => votes(ctx, b)), ...(voting ? [current] : [])];
  const outcome = validate(results, wu.quorum, def.comparator, def.redundancy.homogeneous);
  const inFlight = wu.inFlight - 1;
  if (outcome.kind === 'canonical') {
    const c = outcome.canonical;
    // The results that were waiting wait no more; those of silenced keys are set aside.
    for (const r of earlier) {
      ctx.changes.volunteer(r.volunteer).pending--;
      if (!results.includes(r)) ctx.changes.setReplica(r.replica, { state: 'superseded', output: null });
    }
    for (const id of outcome.valid) {
      const r = results.find((x) => x.replica === id) as Ballot;
      credit(ctx, job, wu.id, r, c.outputHash);
      if (id === current.replica && id === c.replica) ctx.changes.setReplica(id, { output: current.output });
      else if (id !== current.replica && id !== c.replica) ctx.changes.setReplica(id, { output: null });
    }
    for (const id of outcome.invalid) {
      const r = results.find((x) => x.replica === id) as Ballot;
      discredit(ctx, job, id, r.volunteer, 'invalid');
      if (id !== current.replica) ctx.changes.setReplica(id, { output: null });
    }
    const validated = ctx.changes.setUnit(wu, {
      state: 'validated',
      inFlight,
      need: 0,
      agree: outcome.valid.length,
      canonicalReplica: c.replica,
      outputHash: c.outputHash,
      finishedAt: ctx.now,
    });
    // Every replica the unit took is paid for, whatever became of it (those still out as they come back).
    payFor(ctx, job, validated);
    return;
  }
  const waiting = settle(
    ctx,
    job,
    ctx.changes.setUnit(wu, { inFlight, agree: outcome.largestGroup }),
    earlier,
    voting ? current : undefined,
  );
  if (waiting && voting) {
    ctx.changes.setReplica(current.replica, { output: current.output });
    ctx.changes.volunteer(current.volunteer).pending++;
  }
}

/**
 * After a replica ends without validating its unit: fail the unit for good if it can no longer validate
 * (its waiting results, and `current` if one just came back, are superseded), else ask for as many
 * replicas as could still make a quorum. Returns whether the unit still waits.
 */
export function settle(
  ctx: StepContext,
  job: JobFacts,
  wu: WorkUnitRecord,
  earlier: readonly Ballot[],
  current?: Ballot,
): boolean {
  const limits = job.definition.redundancy;
  const reason = failureReason(countsOf(wu), limits);
  if (reason) {
    for (const r of earlier) {
      ctx.changes.setReplica(r.replica, { state: 'superseded' });
      ctx.changes.volunteer(r.volunteer).pending--;
    }
    if (current) ctx.changes.setReplica(current.replica, { state: 'superseded' });
    ctx.changes.setUnit(wu, { state: 'failed', need: 0, reason, finishedAt: ctx.now });
    return false;
  }
  ctx.changes.setUnit(wu, { need: replicasWanted(countsOf(wu), limits) });
  return true;
}

/**
 * An error result, or a lease that ran out (which counts as one, as BOINC counts "no reply"). It costs the
 * volunteer's error budget first (rules/error-budget.ts): only an error within its allowance counts towards
 * the unit's `maxErrorResults`; past it, the unit takes back the replica as if it had never been issued.
 */
export function onError(
  ctx: StepContext,
  job: JobFacts,
  wu: WorkUnitRecord,
  volunteer: VolunteerKey,
  returned: readonly Ballot[],
  kind: 'error' | 'expired' = 'error',
): void {
  const charged = ctx.changes.verdict(volunteer, { kind }, ctx.now);
  const countsForUnit = charged?.errorCountsForUnit ?? true;
  if (isKnownAnswer(wu.state)) return;
  if (wu.state !== 'in_progress' && wu.state !== 'unsent') {
    // A settled unit cannot fail: its error is the key's (charged above), and the replica is taken back, so that keys
    // that lease a re-check and never answer cannot use up its maxTotalResults and keep its job from completing.
    releaseSettled(ctx, job, ctx.changes.setUnit(wu, { issued: wu.issued - 1 }));
    return;
  }
  // A trusted volunteer's unreplicated work unit that errs goes back to a full quorum.
  const quorum = Math.max(wu.quorum, job.definition.redundancy.minQuorum);
  const next = ctx.changes.setUnit(wu, {
    quorum,
    inFlight: wu.inFlight - 1,
    ...(countsForUnit ? { errors: wu.errors + 1 } : { issued: wu.issued - 1 }),
  });
  settle(ctx, job, next, returned);
}

/**
 * A volunteer's refusal of a job whose signature does not hold against its project's key (`untrusted_job`):
 * the fault of the job or of the coordinator that serves it, never the volunteer's, so it costs the key's
 * error budget nothing (else every honest volunteer that met a tampered job would be shut out of the whole
 * grid); and since the coordinator cannot tell a true refusal from a false one, it costs the unit nothing
 * either: the replica is taken back as if it had never been issued. A job every volunteer refuses stays
 * unfinished, its refusals listed by code in its progress, rather than failing unit by unit.
 */
export function onRefusal(ctx: StepContext, job: JobFacts, wu: WorkUnitRecord, returned: readonly Ballot[]): void {
  if (isKnownAnswer(wu.state)) return;
  if (wu.state !== 'in_progress' && wu.state !== 'unsent') {
    // Taken back as if never issued here too: a re-check given back must not use up the unit's maxTotalResults,
    // or a page that comes and goes leaves the re-check unasked for good, and its job never completes.
    releaseSettled(ctx, job, ctx.changes.setUnit(wu, { issued: wu.issued - 1 }));
    return;
  }
  settle(ctx, job, ctx.changes.setUnit(wu, { inFlight: wu.inFlight - 1, issued: wu.issued - 1 }), returned);
}

/**
 * A replica of a unit already settled that came back without a result (an error, an expiry, a refusal):
 * it leaves the unit's flight; a re-check that did not come back is asked for again.
 */
function releaseSettled(ctx: StepContext, job: JobFacts, wu: WorkUnitRecord): void {
  const next = ctx.changes.setUnit(wu, { inFlight: wu.inFlight - 1 });
  if (next.state === 'validated' && next.agree < next.quorum)
    ctx.changes.setUnit(next, { need: replicasWanted(countsOf(next), job.definition.redundancy) });
}

/**
 * A replica returned after its unit validated: judged against the canonical result. On a unit under re-check
 * (validated on one key's result alone, that key's trust since lost, or by a quorum one of whose keys stopped
 * voting: recheck.ts) the canonical result is the suspect one: agreement confirms it, disagreement takes the unit
 * back (`withdraw`, which sets aside `valid`, the unit's valid replicas, read for a unit under re-check).
 */
export function judgeLate(
  ctx: StepContext,
  job: JobFacts,
  wu: WorkUnitRecord,
  current: Ballot,
  canonical: Uint8Array | null,
  valid: readonly LeaseNumber[],
): void {
  const unit = ctx.changes.setUnit(wu, { inFlight: wu.inFlight - 1 });
  if (!votes(ctx, current)) {
    ctx.changes.setReplica(current.replica, { state: 'superseded' });
    if (unit.agree < unit.quorum)
      ctx.changes.setUnit(unit, { need: replicasWanted(countsOf(unit), job.definition.redundancy) });
    payFor(ctx, job, unit);
    return;
  }
  const good =
    canonical !== null &&
    agree(job.definition.comparator, current, { outputHash: wu.outputHash as string, output: canonical });
  const recheck = unit.agree < unit.quorum;
  if (good) {
    credit(ctx, job, wu.id, current, wu.outputHash as string);
    if (recheck) {
      ctx.changes.setUnit(unit, { agree: unit.agree + 1 });
      if (unit.agree + 1 >= unit.quorum) ctx.changes.confirmed(job.id);
    }
  } else if (recheck) {
    // Back in progress: this replica, and any other since it was paid for, is paid for when it validates anew.
    withdraw(ctx, job, unit, current, valid);
    return;
  } else discredit(ctx, job, current.replica, current.volunteer, 'invalid');
  // A replica of a validated unit is paid for as it comes back, as those before its validation were then.
  payFor(ctx, job, unit);
}

/**
 * Takes a unit under re-check back from the job's results: its result, from a key that has since lost trust,
 * is disputed by `current`. The unit is in progress again, without a place in the results (a researcher
 * following the results sees it again, at a later place, when it validates anew); the suspect's result is set
 * aside, and so are the other `valid` results that agreed with it (their credit, like the suspect's, already signed in
 * the log, stays): the new quorum counts none of them, so none is a vote a later silencing may take off it
 * (recheck.ts); `current` waits as the first vote of a new quorum.
 */
function withdraw(
  ctx: StepContext,
  job: JobFacts,
  wu: WorkUnitRecord,
  current: Ballot,
  valid: readonly LeaseNumber[],
): void {
  const setAside = new Set(valid);
  if (wu.canonicalReplica !== null) setAside.add(wu.canonicalReplica);
  for (const id of setAside) ctx.changes.setReplica(id, { state: 'superseded', output: null });
  ctx.changes.withdrawn(job.id);
  const unit = ctx.changes.setUnit(wu, {
    state: 'in_progress',
    agree: 1,
    canonicalReplica: null,
    outputHash: null,
    finishedAt: null,
    resultSeq: null,
  });
  if (settle(ctx, job, unit, [], current)) {
    ctx.changes.setReplica(current.replica, { output: current.output });
    ctx.changes.volunteer(current.volunteer).pending++;
  }
}
