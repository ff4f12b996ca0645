// Release: a page that leaves gives back the leases it will not compute (units not started, those its worker was
// running). Each goes back into the queue at once, where an expiry would have waited for its deadline, and it is
// no error: the unit takes the replica back as if it had never been issued and the key's error allowance is
// untouched (validate.ts `onRefusal`; a reader moving on is nobody's fault). It is no way to choose one's units
// either: no other key of its address is drawn the unit (draw.ts reads every holder), and the key itself only as a
// retake, a few times at most, each after a longer wait and only when the job has nothing else for it (lease.ts). A
// known-answer unit given back counts as an expiry, as it would have: a key that could tell one must not dodge it.
// A unit the grid withdrew meanwhile (a known answer found suspect, a cancelled job's: records.ts `isWithdrawn`)
// is no one's to dodge: given back, it costs its key nothing. A page that goes while a lease request is out names
// it too: the leases granted under it go back with the rest (lease-requests.ts).
import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import { isKnownAnswer, isWithdrawn, type ReplicaInContext } from '../store/records';
import type { StepContext } from './context';
import { giveUpRequests } from './lease-requests';
import { onError, onRefusal, waitingBallots } from './validate';

/**
 * Gives back the key's open leases among `leases` and those granted under its lease `requests` (which are given up:
 * lease-requests.ts); returns how many there were.
 */
export async function releaseLeases(
  ctx: StepContext,
  volunteer: VolunteerKey,
  leases: readonly LeaseNumber[],
  requests: readonly string[] = [],
): Promise<number> {
  const { tx, changes, now } = ctx;
  const named = requests.length > 0 ? await giveUpRequests(ctx, volunteer, requests) : [];
  const rows = (await tx.replicasInContext([...new Set([...leases, ...named])])).filter(
    (r) => r.replica.volunteer === volunteer && r.replica.state === 'leased' && r.replica.deadline >= now,
  );
  if (rows.length === 0) return 0;
  const returned = await waitingBallots(
    ctx,
    rows.map((r) => r.workUnit),
  );
  /** A known answer still judging: given back, it is charged as the expiry it would have been. */
  const dodged = (r: ReplicaInContext) => isKnownAnswer(r.workUnit.state) && !isWithdrawn(r.workUnit.state, r.jobState);
  // Its standing, for the known-answer units among them (charged as expiries).
  if (rows.some(dodged)) {
    const v = await tx.volunteer(volunteer);
    if (v) changes.know(v);
  }
  const tally = changes.volunteer(volunteer);
  for (const row of rows) {
    const r = row.replica;
    changes.setReplica(r.id, { state: 'released', returnedAt: now });
    tally.returned++;
    const job = await ctx.catalog.require(tx, r.job);
    const wu = changes.unit(row.workUnit);
    const earlier = returned.get(wu.id) ?? [];
    if (dodged(row)) {
      tally.errors++;
      onError(ctx, job, wu, volunteer, earlier, 'expired');
    } else onRefusal(ctx, job, wu, earlier);
  }
  return rows.length;
}
