// The end of every transaction: what its steps decided (changes.ts), written once, in the lock order.
import type { StepContext } from './context';
import { appendReceipts } from './receipt';
import { foldStandings } from './recheck';

/**
 * Writes what the transaction's steps decided; returns where its log entries start, if it made any. The order is
 * the lock order every transaction keeps, so that coordinators sharing one Postgres cannot deadlock: (replicas
 * and work units were locked when read) → jobs → volunteers → the log's head, last and held the shortest. One
 * path breaks it, and rarely: a trusted key's loss of trust locks the units it validated alone after its own row
 * (recheck.ts); a deadlock that makes there is broken by Postgres and the transaction retried
 * (pg-persistence.ts), losing nothing.
 */
export async function writeChanges(ctx: StepContext): Promise<{ readonly firstEntry: number | null }> {
  const { tx, changes } = ctx;
  const deltas = changes.jobDeltas();
  const totals = deltas.length > 0 ? await tx.addJobTotals(deltas) : [];
  // Finished units take the result places their job's row handed this transaction, in the order they finished.
  for (const t of totals) changes.placeResults(t.job, t.resultSeq);
  const units = changes.unitChanges();
  if (units.length > 0) await tx.updateWorkUnits(units);
  const replicas = changes.replicaChanges();
  if (replicas.length > 0) await tx.updateReplicas(replicas);
  // After the units: a key's loss of trust re-checks what it validated alone, this transaction's units included.
  await foldStandings(ctx);
  // A completed job one of whose units was taken back from its results has work again.
  for (const t of totals)
    if (t.state === 'completed' && changes.withdrawnIn(t.job) > 0) await tx.setJobState(t.job, 'active');
  // An active job whose last unit this transaction finished, or whose last re-check it settled, is completed, in
  // the same transaction.
  for (const t of totals)
    if (t.state === 'active' && (changes.finishedIn(t.job).length > 0 || changes.confirmedIn(t.job) > 0)) {
      if (!(await tx.hasUnfinished(t.job)) && (await tx.hasFinished(t.job))) await tx.setJobState(t.job, 'completed');
    }
  const volunteers = changes.volunteerDeltas();
  if (volunteers.length > 0) await tx.addVolunteerCounts(volunteers);
  return { firstEntry: changes.entries.length > 0 ? await appendReceipts(ctx, changes.entries) : null };
}
