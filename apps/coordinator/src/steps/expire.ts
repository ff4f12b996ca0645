// Expiry: a lease past its deadline ends as an error result of its key, charged to the key's error
// budget (validate.ts `onError`, rules/error-budget.ts `chargeExpiry`). A unit the grid withdrew while the key held
// it (a known answer found suspect, a cancelled job's: records.ts `isWithdrawn`) was not the key's to finish: its
// lease ends `withdrawn` instead (withdrawn.ts), charging the key nothing, as a lease given back does.
import { isWithdrawn } from '../store/records';
import type { StepContext } from './context';
import { onError, waitingBallots } from './validate';
import { endWithdrawn } from './withdrawn';

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
    const job = await ctx.catalog.require(tx, r.job);
    const earlier = returned.get(row.workUnit.id) ?? [];
    if (!charged(row)) {
      endWithdrawn(ctx, job, row, earlier);
      continue;
    }
    changes.setReplica(r.id, { state: 'expired' });
    const tally = changes.volunteer(r.volunteer);
    tally.returned++;
    tally.errors++;
    // Several leases of one unit may run out together: each sees the unit as the one before left it.
    onError(ctx, job, changes.unit(row.workUnit), r.volunteer, earlier, 'expired');
  }
  return rows.length;
}
