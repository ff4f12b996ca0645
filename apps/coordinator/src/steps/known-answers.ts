// Known answers: a result for a known-answer unit is judged against the expected output its researcher gave.
// A pass is credited; a failure refuses the result, and on an operator's project also ends the key's vote (a
// volunteer-paid project's answers are anyone's with some credit: its failures touch no key's standing). An
// expected output may itself be wrong: once keys of enough networks returned one and the same other output
// (rules/known-answers.ts), the unit is suspect. It judges no one after that, the failures that agreed with
// that output are taken back (each key's strike and catch: rules/reputation.ts `afterReprieve`), and the unit is
// a failed one in its researcher's results, saying why, so that the researcher can mend the answer.
import { agree } from '../rules/compare';
import { suspectFor } from '../rules/known-answers';
import { judgingPolicy } from '../rules/standing';
import type { VolunteerOrigin, VolunteerRecord, WorkUnitRecord } from '../store/records';
import type { JobFacts, StepContext } from './context';
import { type Ballot, credit, discredit } from './credit';
import { holderOf } from './draw';
import { payForProbe } from './fund';

/** A result for a known-answer unit; `own` is its key's row as read before this batch's verdicts. */
export async function judgeProbe(
  ctx: StepContext,
  job: JobFacts,
  wu: WorkUnitRecord,
  current: Ballot,
  own: VolunteerRecord | null,
  expected: Uint8Array | undefined,
): Promise<void> {
  // Its answer is no longer believed (a lease granted before it was found suspect): the result is set aside.
  if (wu.state === 'suspect' || expected === undefined) {
    ctx.changes.setReplica(current.replica, { state: 'superseded', output: null });
    return;
  }
  const good = agree(job.definition.comparator, current, { outputHash: wu.expectedHash as string, output: expected });
  if (good) {
    credit(ctx, job, wu.id, current, current.outputHash, true);
    payForProbe(ctx, job, wu.id);
    return;
  }
  const results = await ctx.tx.probeResults(wu.id);
  const origin = own?.origin ?? null;
  const network = (r: { volunteer: Ballot['volunteer']; origin: VolunteerOrigin | null }) =>
    holderOf(r.volunteer, r.origin, ctx.limits).network;
  const suspect = suspectFor(
    [
      ...results.map((r) => ({ ...r, network: network(r) })),
      {
        passed: false,
        outputHash: current.outputHash,
        network: network({ volunteer: current.volunteer, origin }),
        validated: own?.valid ?? 0,
      },
    ],
    job.definition.redundancy.minQuorum,
  );
  if (suspect === null) {
    if (job.funder !== null)
      // A volunteer-paid project is anyone's with some credit, and so are its answers: a wrong one taking away the
      // vote of every key that computed it would let one volunteer silence the honest grid. The result is refused;
      // the key's standing is left to the operators' projects' known answers and to quorums.
      ctx.changes.setReplica(current.replica, { state: 'invalid', output: null });
    else discredit(ctx, job, current.replica, current.volunteer, 'known_answer_failed');
    return;
  }
  // This result tips it: it is set aside unjudged, and the earlier failures alike are taken back, of keys vouched
  // for or not (an honest key caught before it had the results to be heard was no less right).
  ctx.changes.setReplica(current.replica, { state: 'superseded', output: null });
  const against = results.filter((r) => !r.passed && r.outputHash === suspect);
  for (const r of against) {
    ctx.changes.setReplica(r.replica, { state: 'superseded' });
    // Only an operator's project's failures were held against their keys (above).
    if (job.funder !== null) continue;
    ctx.changes.volunteer(r.volunteer).invalid--;
    ctx.changes.verdict(r.volunteer, { kind: 'reprieved', trust: judgingPolicy(job.definition.adaptive) }, ctx.now);
  }
  const networks = new Set([...against, { volunteer: current.volunteer, origin }].map(network)).size;
  const passed = new Set(results.filter((r) => r.passed).map(network)).size;
  ctx.changes.setUnit(wu, {
    state: 'suspect',
    outputHash: null,
    finishedAt: ctx.now,
    reason:
      `known answer suspect: keys of ${networks} networks returned one other output (${suspect}), ` +
      `${passed} passed it; it judges no key any more`,
  });
}
