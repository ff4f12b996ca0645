// Heartbeat: a volunteer still computing renews its leases; each live one gets its job's full lease time
// again from now, but never past the lease's total lifetime (rules/lease-limits.ts): heartbeats alone kept
// every unit of the demo held by ten keys. A lease of a unit the grid withdrew (records.ts `isWithdrawn`: a known
// answer found suspect, a cancelled job's) is not renewed but ended, `withdrawn` (withdrawn.ts): nobody wants its
// result, so the page is told to drop it (no deadline, as for every lease that ended) and the key has its room
// back at once rather than at the deadline. Leases that ended say how (expired, released, withdrawn, ...), and
// strangers' leases are `unknown`.
import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import { renewedDeadline } from '../rules/lease-limits';
import { isWithdrawn, type ReplicaInContext } from '../store/records';
import type { HeartbeatRow } from '../store/store';
import type { StepContext } from './context';
import { waitingBallots } from './validate';
import { endWithdrawn } from './withdrawn';

export async function heartbeat(
  ctx: StepContext,
  volunteer: VolunteerKey,
  leases: readonly LeaseNumber[],
): Promise<HeartbeatRow[]> {
  const { tx, changes, now } = ctx;
  const found = (await tx.replicasInContext(leases)).filter((r) => r.replica.volunteer === volunteer);
  const rows = new Map(found.map((r) => [r.replica.id, r]));
  const withdrawn = (r: ReplicaInContext) => r.replica.state === 'leased' && isWithdrawn(r.workUnit.state, r.jobState);
  const returned = await waitingBallots(
    ctx,
    found.filter(withdrawn).map((r) => r.workUnit),
  );
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
  return answer;
}
