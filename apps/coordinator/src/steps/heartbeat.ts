// Heartbeat: a volunteer still computing renews its leases; each live one gets its job's full lease time
// again from now, but never past the lease's total lifetime (rules/lease-limits.ts): heartbeats alone kept
// every unit of the demo held by ten keys. Leases that ended say how (expired, returned, ...), and strangers'
// leases are `unknown`.
import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import { renewedDeadline } from '../rules/lease-limits';
import type { HeartbeatRow } from '../store/store';
import type { StepContext } from './context';

export async function heartbeat(
  ctx: StepContext,
  volunteer: VolunteerKey,
  leases: readonly LeaseNumber[],
): Promise<HeartbeatRow[]> {
  const { tx, changes, now } = ctx;
  const rows = new Map((await tx.replicas(leases)).map((r) => [r.id, r]));
  const answer: HeartbeatRow[] = [];
  for (const id of leases) {
    const r = rows.get(id);
    if (!r || r.volunteer !== volunteer) answer.push({ lease: id, deadline: null, state: 'unknown' });
    else if (r.state !== 'leased' || r.deadline < now)
      answer.push({ lease: id, deadline: null, state: r.state === 'leased' ? 'expired' : r.state });
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
