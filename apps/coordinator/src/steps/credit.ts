// Credit: what a verdict means for the volunteers behind it. A valid result earns the job's cost per work
// unit, bounded by the time its lease was held (rules/credit.ts: a researcher's price cannot mint credit
// faster than real time), a receipt in the log and a step of trust; an invalid one earns nothing and resets
// (or, a failed known answer, flags) the volunteer's trust.
import type { LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import { creditFor } from '../rules/credit';
import type { TrustEvent } from '../rules/trust';
import type { ReturnedResult } from '../rules/validation';
import type { JobFacts, StepContext } from './context';

/** A returned result with how long its lease was held, which bounds its credit. */
export type Ballot = ReturnedResult & { readonly heldMs: number };

export function credit(
  ctx: StepContext,
  job: JobFacts,
  workUnit: WorkUnitNumber,
  ballot: Ballot,
  outputHash: string,
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
  ctx.changes.trust(volunteer, 'valid');
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
  replica: LeaseNumber,
  volunteer: VolunteerKey,
  event: Exclude<TrustEvent, 'valid' | 'error'>,
): void {
  ctx.changes.setReplica(replica, { state: 'invalid', output: null });
  ctx.changes.volunteer(volunteer).invalid++;
  ctx.changes.trust(volunteer, event);
}
