// Standing at commit: each key a verdict of this transaction judged is locked (in key order, after the jobs:
// the lock order of write.ts), its verdicts folded on the row as it is now (rules/standing.ts), and when a
// trusted key gave a wrong answer, the units it validated alone since it was trusted are checked again: each
// stays validated, with its result, and wants one more replica from someone else (validate.ts `judgeLate`
// decides what that replica's result means).
import { recheck } from '../rules/reputation';
import { fold, standingAt } from '../rules/standing';
import type { WorkUnitChange, WorkUnitRecord } from '../store/records';
import type { StepContext } from './context';

/** Single-replica results checked again after one loss of trust, newest first (the rest are older than any defector's patience). */
export const RECHECK_MAX = 1000;

export async function foldStandings(ctx: StepContext): Promise<void> {
  const { tx, changes, now } = ctx;
  const again: { id: WorkUnitRecord['id']; set: WorkUnitChange }[] = [];
  for (const [key, tally] of changes.judged()) {
    const row = await tx.lockVolunteer(key);
    const folded = fold(standingAt(row.standing, now), tally.events, now);
    tally.standing = folded.standing;
    if (folded.recheckSince === null) continue;
    const singles = await tx.singleResultsOf(key, folded.recheckSince, RECHECK_MAX);
    const units = recheck(
      singles.map((s) => ({ unit: s.workUnit, validatedAt: s.validatedAt })),
      folded.recheckSince,
      RECHECK_MAX,
    );
    for (const wu of units) {
      const job = await ctx.catalog.require(tx, wu.job);
      // Its own result is one vote of the job's full quorum now; the others are to come.
      const quorum = Math.max(2, job.definition.redundancy.minQuorum);
      const set = { quorum, need: Math.max(0, quorum - wu.agree) };
      changes.touched.add(wu.job);
      again.push({ id: wu.id, set });
    }
  }
  if (again.length > 0) await tx.updateWorkUnits(again);
}
