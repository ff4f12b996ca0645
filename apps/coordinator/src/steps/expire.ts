import type { StepContext } from './context';
import { onError, waitingBallots } from './validate';

/** Expires up to `limit` leases; returns how many. */
export async function expireLeases(ctx: StepContext, limit: number): Promise<number> {
  const { tx, changes, now } = ctx;
  const rows = await tx.expiredInContext(now, limit);
  const returned = await waitingBallots(
    ctx,
    rows.map((r) => r.workUnit),
  );
  // Each key's standing, for its error budget.
  for (const key of new Set(rows.map((r) => r.replica.volunteer))) {
    const v = await tx.volunteer(key);
    if (v) changes.know(v);
  }
  for (const row of rows) {
    const r = row.replica;
    changes.setReplica(r.id, { state: 'expired' });
    const tally = changes.volunteer(r.volunteer);
    tally.returned++;
    tally.errors++;
    const job = await ctx.catalog.require(tx, r.job);
    // Several leases of one unit may run out together: each sees the unit as the one before left it.
    onError(ctx, job, changes.unit(row.workUnit), r.volunteer, returned.get(row.workUnit.id) ?? [], 'expired');
  }
  return rows.length;
}
