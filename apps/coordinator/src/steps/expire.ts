// Expiry: a lease past its deadline ends as an error result of its key, charged to the key's error
// budget (validate.ts `onError`, rules/error-budget.ts `chargeExpiry`). A unit the grid withdrew while the key held
// it (a known answer found suspect, a cancelled job's: records.ts `isWithdrawn`) was not the key's to finish: its
// lease ends the same way but charges the key nothing, as a lease given back does (validate.ts `onRefusal`).
import { isWithdrawn } from '../store/records';
import type { StepContext } from './context';
import { onError, onRefusal, waitingBallots } from './validate';

/** Expires up to `limit` leases; returns how many. */
export async function expireLeases(ctx: StepContext, limit: number): Promise<number> {
  const { tx, changes, now } = ctx;
  const rows = await tx.expiredInContext(now, limit);
  const returned = await waitingBallots(
    ctx,
    rows.map((r) => r.workUnit),
  );
  const charged = (r: (typeof rows)[number]) => !isWithdrawn(r.workUnit.state, r.jobState);
  // Each charged key's standing, for its error budget.
  for (const key of new Set(rows.filter(charged).map((r) => r.replica.volunteer))) {
    const v = await tx.volunteer(key);
    if (v) changes.know(v);
  }
  for (const row of rows) {
    const r = row.replica;
    changes.setReplica(r.id, { state: 'expired' });
    const tally = changes.volunteer(r.volunteer);
    tally.returned++;
    const job = await ctx.catalog.require(tx, r.job);
    // Several leases of one unit may run out together: each sees the unit as the one before left it.
    const wu = changes.unit(row.workUnit);
    const earlier = returned.get(row.workUnit.id) ?? [];
    if (!charged(row)) {
      onRefusal(ctx, job, wu, earlier);
      continue;
    }
    tally.errors++;
    onError(ctx, job, wu, r.volunteer, earlier, 'expired');
  }
  return rows.length;
}
