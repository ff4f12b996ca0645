// Credit: what a verdict means for the volunteers behind it. A valid result earns the job's cost per work
// unit, a receipt in the log and a step of trust; an invalid one earns nothing and resets (or, a failed
// known answer, flags) the volunteer's trust.
import type { LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import type { TrustEvent } from '../rules/trust';
import type { JobFacts, StepContext } from './context';

export function credit(
  ctx: StepContext,
  job: JobFacts,
  workUnit: WorkUnitNumber,
  replica: LeaseNumber,
  volunteer: VolunteerKey,
  outputHash: string,
): void {
  const amount = job.definition.costPerWorkUnit;
  ctx.changes.setReplica(replica, { state: 'valid' });
  const tally = ctx.changes.volunteer(volunteer);
  tally.valid++;
  tally.credit += amount;
  ctx.changes.trust(volunteer, 'valid');
  ctx.changes.credit({ job: job.id, project: job.project, workUnit, volunteer, outputHash, amount });
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
