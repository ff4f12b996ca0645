// Submit: a volunteer's batch of results, all or nothing. Every lease of the batch is read at once with its
// work unit and its job's state (and locked); each item is checked (its lease exists, is the volunteer's,
// is live, its job is not cancelled, its output has the job's size), then judged (validate.ts). A refused
// item refuses the batch: nothing is written until every item has passed, so the failure is a value and
// the transaction writes nothing.
import {
  type Failure,
  type LeaseNumber,
  type Result,
  type SubmitResponse,
  type VolunteerKey,
  type WorkUnitNumber,
  ioSizes,
  ok,
} from '@bricolage/protocol';
import type { Ballot } from './credit';
import { isKnownAnswer, type ReplicaInContext, type WorkUnitRecord } from '../store/records';
import type { SubmitItem } from '../store/store';
import type { StepContext } from './context';
import { judgeProbe } from './known-answers';
import { judgeLate, judgeQuorum, onError, onRefusal, waitingBallots } from './validate';

type OkItem = Extract<SubmitItem, { kind: 'ok' }>;

export async function submit(
  ctx: StepContext,
  volunteer: VolunteerKey,
  items: readonly SubmitItem[],
): Promise<Result<SubmitResponse>> {
  const { tx, changes, now } = ctx;
  const rows = new Map<LeaseNumber, ReplicaInContext>();
  for (const row of await tx.replicasInContext(items.map((i) => i.lease))) rows.set(row.replica.id, row);
  const inputs = await preload(ctx, volunteer, items, rows);
  // Its standing: whether its results still vote, and how much of its error budget is left.
  const own = await tx.volunteer(volunteer);
  if (own) changes.know(own);
  let accepted = 0;
  let repeated = 0;
  for (const [index, item] of items.entries()) {
    const reject = (code: Failure['code'], message: string): Result<SubmitResponse> => ({
      ok: false,
      error: { code, message: `results[${index}]: ${message}`, index },
    });
    const row = rows.get(item.lease);
    if (!row) return reject('not_found', `no lease ls_${item.lease}`);
    const r = { ...row.replica, ...changes.replicaChange(row.replica.id) };
    if (r.volunteer !== volunteer)
      return reject('lease_foreign', `lease ls_${item.lease} belongs to another volunteer`);
    if (r.state !== 'leased') {
      if (r.state === 'expired')
        return reject('lease_expired', `lease ls_${item.lease} expired before its result arrived`);
      if (r.state === 'released')
        return reject('lease_expired', `lease ls_${item.lease} was given back before its result arrived`);
      // Taken back by the grid at a heartbeat or as it ran out (withdrawn.ts): nobody wants its result.
      if (r.state === 'withdrawn')
        return row.jobState === 'cancelled'
          ? reject('job_not_active', `job ${row.replica.job} was cancelled`)
          : reject('lease_expired', `lease ls_${item.lease} was withdrawn with its unit before its result arrived`);
      const same = item.kind === 'ok' ? r.outputHash === item.outputHash : r.errorCode === item.code;
      if (same) {
        repeated++;
        continue;
      }
      return reject('duplicate_result', `lease ls_${item.lease} already returned a different result`);
    }
    if (r.deadline < now) return reject('lease_expired', `lease ls_${item.lease} expired before its result arrived`);
    const job = await ctx.catalog.require(tx, row.replica.job);
    if (row.jobState === 'cancelled') return reject('job_not_active', `job ${job.id} was cancelled`);
    if (item.kind === 'ok') {
      const size = ioSizes(job.definition.spec).output;
      if (item.output.length !== size)
        return reject('bad_request', `output is ${item.output.length} bytes; the job's outputs total ${size}`);
    }
    const wu = changes.unit(row.workUnit);
    const tally = changes.volunteer(volunteer);
    tally.returned++;
    const earlier = inputs.returned.get(wu.id) ?? [];
    if (item.kind === 'error') {
      tally.errors++;
      changes.setReplica(r.id, { state: 'error', returnedAt: now, errorCode: item.code, errorMessage: item.message });
      if (item.code === 'untrusted_job') onRefusal(ctx, job, wu, earlier);
      else onError(ctx, job, wu, volunteer, earlier);
      accepted++;
      continue;
    }
    changes.setReplica(r.id, {
      state: 'returned',
      returnedAt: now,
      outputHash: item.outputHash,
      backend: item.backend,
    });
    const current = returnedOf(r.id, volunteer, item, now - row.leasedAt, own?.standing.reputation.voting ?? true);
    if (isKnownAnswer(wu.state))
      await judgeProbe(ctx, job, wu, current, own ?? null, inputs.expected.get(wu.expectedHash as string));
    else if (wu.state === 'validated')
      judgeLate(
        ctx,
        job,
        wu,
        current,
        inputs.canonical.get(wu.canonicalReplica as LeaseNumber) ?? null,
        inputs.votes.get(wu.id) ?? [],
      );
    else if (wu.state === 'in_progress' || wu.state === 'unsent') judgeQuorum(ctx, job, wu, earlier, current);
    else {
      // Its unit failed or was cancelled meanwhile: the result is taken and set aside.
      changes.setReplica(r.id, { state: 'superseded' });
      changes.setUnit(wu, { inFlight: wu.inFlight - 1 });
    }
    accepted++;
  }
  return ok({ accepted, repeated });
}

/**
 * What the verdicts will read besides the rows themselves, fetched in one query each: the results already
 * waiting on these units, known answers' expected outputs, canonical outputs for late results, and the votes of
 * units under re-check (a re-check that disputes one sets them all aside).
 */
async function preload(
  ctx: StepContext,
  volunteer: VolunteerKey,
  items: readonly SubmitItem[],
  rows: ReadonlyMap<LeaseNumber, ReplicaInContext>,
) {
  const open: WorkUnitRecord[] = [];
  const expected = new Set<string>();
  const canonical: LeaseNumber[] = [];
  const rechecked: WorkUnitNumber[] = [];
  for (const item of items) {
    const row = rows.get(item.lease);
    if (!row || row.replica.volunteer !== volunteer || row.replica.state !== 'leased') continue;
    const wu = row.workUnit;
    if (wu.state === 'in_progress' || wu.state === 'unsent') open.push(wu);
    else if (item.kind === 'ok' && wu.state === 'probe' && wu.expectedHash) expected.add(wu.expectedHash);
    else if (item.kind === 'ok' && wu.state === 'validated' && wu.canonicalReplica !== null) {
      canonical.push(wu.canonicalReplica);
      if (wu.agree < wu.quorum) rechecked.push(wu.id);
    }
  }
  const votes = new Map<WorkUnitNumber, LeaseNumber[]>();
  if (rechecked.length > 0)
    for (const v of await ctx.tx.validReplicasOf(rechecked))
      votes.set(v.workUnit, [...(votes.get(v.workUnit) ?? []), v.replica]);
  return {
    returned: await waitingBallots(ctx, open),
    expected: expected.size > 0 ? await ctx.tx.blobs([...expected]) : new Map<string, Uint8Array>(),
    canonical: canonical.length > 0 ? await ctx.tx.outputsOf(canonical) : new Map<LeaseNumber, Uint8Array>(),
    votes,
  };
}

const returnedOf = (
  replica: LeaseNumber,
  volunteer: VolunteerKey,
  item: OkItem,
  heldMs: number,
  voting: boolean,
): Ballot => ({
  replica,
  heldMs,
  voting,
  volunteer,
  backend: item.backend,
  outputHash: item.outputHash,
  output: item.output,
});
