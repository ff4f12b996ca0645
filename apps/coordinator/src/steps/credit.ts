// Credit: what a verdict means for the volunteers behind it. A valid result earns the job's cost per work
// unit, bounded by the time its lease was held (rules/credit.ts: a researcher's price cannot mint credit
// faster than real time), a receipt in the log and a step of reputation (a known answer passed counts
// twice over: rules/reputation.ts); an invalid one earns nothing and loses the key's trust at once (a failed
// known answer also ends its vote).
import type { LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import { creditFor } from '../rules/credit';
import type { WrongAnswer } from '../rules/reputation';
import { judgingPolicy } from '../rules/standing';
import type { ReturnedResult } from '../rules/validation';
import type { JobFacts, StepContext } from './context';

/**
 * A returned result with how long its lease was held, which bounds its credit, and whether its key still votes
 * as its row was read (`StepContext.changes.votes` has the last word).
 */
export type Ballot = ReturnedResult & { readonly heldMs: number; readonly voting: boolean };

/** Whether the ballot counts towards a quorum: its key had not stopped voting, before or in this transaction. */
export const counts = (ctx: StepContext, b: Ballot): boolean => ctx.changes.votes(b.volunteer, b.voting, ctx.now);

export function credit(
  ctx: StepContext,
  job: JobFacts,
  workUnit: WorkUnitNumber,
  ballot: Ballot,
  outputHash: string,
  probe = false,
): void {
  const { replica, volunteer } = ballot;
  const { costPerWorkUnit, timeBudgetMs } = job.definition;
  const amount = creditFor(costPerWorkUnit, { heldMs: ballot.heldMs, timeBudgetMs }, ctx.limits.credit);
  ctx.changes.setReplica(replica, { state: 'valid' });
  const tally = ctx.changes.volunteer(volunteer);
  tally.valid++;
  tally.credit += amount;
  // Kept, but not spendable: a key cannot pay its own jobs with credit those jobs minted it.
  if (job.funder === volunteer) tally.ownCredit += amount;
  ctx.changes.verdict(volunteer, { kind: 'valid', probe, trust: judgingPolicy(job.definition.adaptive) }, ctx.now);
  ctx.changes.credit({
    job: job.id,
    project: job.project,
    workUnit,
    volunteer,
    outputHash,
    amount,
    funder: job.funder,
  });
}

export function discredit(
  ctx: StepContext,
  job: JobFacts,
  replica: LeaseNumber,
  volunteer: VolunteerKey,
  kind: WrongAnswer,
): void {
  ctx.changes.setReplica(replica, { state: 'invalid', output: null });
  ctx.changes.volunteer(volunteer).invalid++;
  ctx.changes.verdict(volunteer, { kind, trust: judgingPolicy(job.definition.adaptive) }, ctx.now);
}
