// Standing at commit: each key a verdict of this transaction judged is locked (in key order, after the jobs:
// the lock order of write.ts), its verdicts folded on the row as it is now (rules/standing.ts), and what the
// key's result decided is checked again by others when it can no longer be taken on trust:
// - when a trusted key gave a wrong answer, the units it validated alone since it was trusted: each stays
//   validated, with its result, its own result one vote of a quorum of at least two (no vote, if the key
//   stopped voting), and wants the others;
// - when a key stopped voting (a failed known answer, or one strike too many), also the units whose quorum
//   counted its result: each stays validated, its vote no longer counted, and wants one more agreeing result.
//   A cabal that earned trust honestly and then agrees with itself is caught this way, Sarmenta's
//   backtracking: without it, what two of its keys validated together stood for good.
// validate.ts `judgeLate` decides what a re-check's result means: agreement confirms, disagreement takes the
// unit back from the results.
import { recheck } from '../rules/reputation';
import { fold, standingAt } from '../rules/standing';
import type { WorkUnitChange, WorkUnitRecord } from '../store/records';
import type { StepContext } from './context';

/** Units checked again after one loss of trust or one silencing, newest first (the rest are older than any defector's patience). */
export const RECHECK_MAX = 1000;

export async function foldStandings(ctx: StepContext): Promise<void> {
  const { tx, changes, now } = ctx;
  const again = new Map<WorkUnitRecord['id'], WorkUnitChange>();
  // A unit as this fold has left it so far: several keys that voted on it may stop voting in one transaction (one
  // result outvoting them all), and each one's vote is taken off.
  const asLeft = (wu: WorkUnitRecord): WorkUnitRecord => ({ ...wu, ...again.get(wu.id) });
  for (const [key, tally] of changes.judged()) {
    const row = await tx.lockVolunteer(key);
    const folded = fold(standingAt(row.standing, now), tally.events, now);
    tally.standing = folded.standing;
    // The units this key's result is checked again on: its vote is taken off each once.
    const checked = new Set<WorkUnitRecord['id']>();
    if (folded.recheckSince !== null) {
      const singles = await tx.singleResultsOf(key, folded.recheckSince, RECHECK_MAX);
      const units = recheck(
        singles.map((s) => ({ unit: s.workUnit, validatedAt: s.validatedAt })),
        folded.recheckSince,
        RECHECK_MAX,
      );
      for (const read of units) {
        const wu = asLeft(read);
        const job = await ctx.catalog.require(tx, wu.job);
        // Its own result is one vote of the job's full quorum now (none, once it stopped voting); the others are
        // to come.
        const quorum = Math.max(2, job.definition.redundancy.minQuorum);
        const agree = folded.silenced ? wu.agree - 1 : wu.agree;
        changes.touched.add(wu.job);
        checked.add(wu.id);
        again.set(wu.id, { quorum, agree, need: Math.max(0, quorum - agree - wu.inFlight) });
      }
    }
    if (folded.silenced)
      for (const { workUnit: read } of await tx.quorumVotesOf(key, RECHECK_MAX)) {
        if (checked.has(read.id)) continue;
        const wu = asLeft(read);
        // Its vote no longer counts: the quorum lacks one agreeing result.
        const agree = wu.agree - 1;
        changes.touched.add(wu.job);
        checked.add(wu.id);
        again.set(wu.id, { ...again.get(wu.id), agree, need: Math.max(0, wu.quorum - agree - wu.inFlight) });
      }
  }
  if (again.size > 0) await tx.updateWorkUnits([...again].map(([id, set]) => ({ id, set })));
}
