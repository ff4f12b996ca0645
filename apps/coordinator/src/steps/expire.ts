// Expire: leases whose deadline passed go back into the queue. A lease that runs out counts as an error
// result of its volunteer (validate.ts `onError`: its error budget first, though an expiry never shuts the
// key out: rules/error-budget.ts `chargeExpiry`), so its unit is reissued or, past its limits, failed.
import type { WorkUnitNumber } from '@bricolage/protocol';
import type { Ballot } from './credit';
import type { StepContext } from './context';
import { mayHoldReturned, onError } from './validate';

/** Expires up to `limit` leases; returns how many. */
export async function expireLeases(ctx: StepContext, limit: number): Promise<number> {
  const { tx, changes, now } = ctx;
  const rows = await tx.expiredInContext(now, limit);
  const waiting = [...new Set(rows.filter((r) => mayHoldReturned(r.workUnit)).map((r) => r.workUnit.id))];
  const returned = new Map<WorkUnitNumber, Ballot[]>();
  if (waiting.length > 0)
    for (const r of await tx.returnedFor(waiting)) returned.set(r.workUnit, [...(returned.get(r.workUnit) ?? []), r]);
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
