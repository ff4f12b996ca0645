// Heartbeat: a volunteer still computing renews its leases; each live one gets its job's full lease time
// again from now, but never past the lease's total lifetime (rules/lease-limits.ts): heartbeats alone kept
// every unit of the demo held by ten keys. A lease of a unit the grid withdrew (records.ts `isWithdrawn`: a known
// answer found suspect, a cancelled job's) is not renewed but ended, `withdrawn` (withdrawn.ts): nobody wants its
// result, so the page is told to drop it (no deadline, as for every lease that ended) and the key has its room
// back at once rather than at the deadline. Leases that ended say how (expired, released, withdrawn, ...), and
// strangers' leases are `unknown`.
// A page also names the jobs it holds units of, every few seconds (packages/runtime lease-queue.ts): the key's
// leases of those withdrawn whole (a cancelled job's) end the same way, named in `withdrawn`, so that the page stops
// them within seconds rather than at a lease's half-life, when it would next renew them. A job's state is a point
// lookup; only a withdrawn job's leases are read.
import type { JobId, LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import { renewedDeadline } from '../rules/lease-limits';
import { isWithdrawn, isWithdrawnWhole, type ReplicaInContext } from '../store/records';
import type { HeartbeatAnswer, HeartbeatRow } from '../store/store';
import type { StepContext } from './context';
import { waitingBallots } from './validate';
import { endWithdrawn } from './withdrawn';

export async function heartbeat(
  ctx: StepContext,
  volunteer: VolunteerKey,
  leases: readonly LeaseNumber[],
  jobs: readonly JobId[] = [],
): Promise<HeartbeatAnswer> {
  const { tx, changes, now } = ctx;
  const found = (await tx.replicasInContext(leases)).filter((r) => r.replica.volunteer === volunteer);
  const rows = new Map(found.map((r) => [r.replica.id, r]));
  const withdrawn = (r: ReplicaInContext) => r.replica.state === 'leased' && isWithdrawn(r.workUnit.state, r.jobState);
  // The key's other leases of the jobs named that were withdrawn whole.
  const gone: JobId[] = [];
  for (const job of new Set(jobs)) {
    const state = (await tx.jobState(job))?.state;
    if (state && isWithdrawnWhole(state)) gone.push(job);
  }
  const others = (await tx.leasedOfJobs(volunteer, gone)).filter((r) => !rows.has(r.replica.id));
  const returned = await waitingBallots(ctx, [
    ...found.filter(withdrawn).map((r) => r.workUnit),
    ...others.map((r) => r.workUnit),
  ]);
  const answer: HeartbeatRow[] = [];
  for (const id of leases) {
    const row = rows.get(id);
    if (!row) {
      answer.push({ lease: id, deadline: null, state: 'unknown' });
      continue;
    }
    // As this heartbeat left it: a lease named twice is ended once.
    const r = { ...row.replica, ...changes.replicaChange(id) };
    if (r.state !== 'leased') answer.push({ lease: id, deadline: null, state: r.state });
    else if (withdrawn(row)) {
      endWithdrawn(ctx, await ctx.catalog.require(tx, r.job), row, returned.get(row.workUnit.id) ?? []);
      answer.push({ lease: id, deadline: null, state: 'withdrawn' });
    } else if (r.deadline < now) answer.push({ lease: id, deadline: null, state: 'expired' });
    else {
      const { leaseSeconds, timeBudgetMs } = (await ctx.catalog.require(tx, r.job)).definition;
      // Its lifetime counts no time the grid was down (nor the grace after); a deadline is never shortened.
      const lifetime = { leasedAt: r.leasedAt + r.pausedMs, leaseSeconds, timeBudgetMs };
      const deadline = Math.max(r.deadline, renewedDeadline(lifetime, now));
      if (deadline !== r.deadline) changes.setReplica(id, { deadline });
      answer.push({ lease: id, deadline, state: 'leased' });
    }
  }
  for (const row of others)
    endWithdrawn(ctx, await ctx.catalog.require(tx, row.replica.job), row, returned.get(row.workUnit.id) ?? []);
  return { leases: answer, withdrawn: others.map((r) => r.replica.id) };
}
