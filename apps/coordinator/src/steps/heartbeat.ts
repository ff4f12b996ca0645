// Heartbeat: a volunteer still computing renews its leases; each live one gets its job's full lease time
// again from now. Leases that ended say how (expired, returned, ...), and strangers' leases are `unknown`.
import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
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
      const job = await ctx.catalog.require(tx, r.job);
      const deadline = now + job.definition.leaseSeconds * 1000;
      changes.setReplica(id, { deadline });
      answer.push({ lease: id, deadline, state: 'leased' });
    }
  }
  return answer;
}
