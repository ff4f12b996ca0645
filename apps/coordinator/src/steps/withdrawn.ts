// A lease of a unit the grid withdrew (records.ts `isWithdrawn`: a known answer found suspect, any unit of a
// cancelled job) ends `withdrawn` once the grid finds it still held: at its key's next heartbeat, which tells the
// page to drop it (heartbeat.ts), or when it runs out (expire.ts). Nobody wants its result, and its key was not
// at fault: the unit takes the replica back as never issued (validate.ts `onRefusal`), the key is charged nothing,
// and the lease is no `lease_expired` in its job's volunteer error tallies.
import type { Ballot } from './credit';
import type { ReplicaInContext } from '../store/records';
import type { JobFacts, StepContext } from './context';
import { onRefusal } from './validate';

/** Ends the lease of `row` as withdrawn; `earlier` are its unit's results waiting for a verdict. */
export function endWithdrawn(ctx: StepContext, job: JobFacts, row: ReplicaInContext, earlier: readonly Ballot[]): void {
  const r = row.replica;
  ctx.changes.setReplica(r.id, { state: 'withdrawn' });
  ctx.changes.volunteer(r.volunteer).returned++;
  // Several leases of one unit may end together: each sees the unit as the one before left it.
  onRefusal(ctx, job, ctx.changes.unit(row.workUnit), earlier);
}
