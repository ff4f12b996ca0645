// Fund: jobs a volunteer pays for with its credit (issue 19). Each validated work unit of such a job debits
// its funder the job's cost per work unit for every replica the unit took, in the log like a credit, each replica
// once (a late result or a re-check as it comes back, a unit validated anew after a dispute only for what it took
// since: the unit's `charged`); a lease
// hands out only the replicas the funder's balance still covers, counting those already out, and when it is
// short, replicas of started units first (rules/funding.ts); a job whose funder cannot pay for one more replica
// (or for a new unit, when no started one wants any) is paused with that reason by the sweep.
//
// Balance = credit earned − credit earned on the key's own jobs (not spendable) − debits. Credit is only ever
// minted by operators' jobs: a funded unit debits its cost for every replica and credits each valid one at
// most that cost, so moving credit between keys through funded jobs never creates any.
import type { JobId, Project, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import { type Funds, unfunded } from '../rules/funding';
import type { Tx } from '../store/persistence';
import type { VolunteerRecord, WorkUnitRecord } from '../store/records';
import type { JobFacts, StepContext } from './context';

/** What a key may still spend. */
export const balanceOf = (v: Pick<VolunteerRecord, 'credit' | 'ownCredit' | 'spent'> | null): number =>
  v ? v.credit - v.ownCredit - v.spent : 0;

/**
 * Debits the funder of `job` (if a volunteer funds it) for the replicas of a validated `unit` (as this transaction
 * left it) that are no longer out and not paid for yet: as it validates, every replica it took whatever became of
 * it; after, each that comes back (a late result, a re-check). A replica still out when its unit validated is paid
 * for when it comes back, and not at all if it is taken back (an error past the key's allowance, a release).
 */
export function payFor(ctx: StepContext, job: JobFacts, unit: WorkUnitRecord): void {
  const due = unit.issued - unit.inFlight - unit.charged;
  if (!job.funder || due <= 0) return;
  debit(ctx, job, unit.id, due);
  ctx.changes.setUnit(unit, { charged: unit.charged + due });
}

/** Debits the funder of a known-answer unit's job for a replica that passed (its `issued` is not kept). */
export function payForProbe(ctx: StepContext, job: JobFacts, workUnit: WorkUnitNumber): void {
  if (job.funder) debit(ctx, job, workUnit, 1);
}

function debit(ctx: StepContext, job: JobFacts, workUnit: WorkUnitNumber, replicas: number): void {
  if (!job.funder) return;
  ctx.changes.debit({
    job: job.id,
    project: job.project,
    workUnit,
    funder: job.funder,
    replicas,
    amount: job.definition.costPerWorkUnit * replicas,
  });
}

/**
 * What the funder's balance still covers once every replica already out on its jobs is paid for, and how much of
 * that the replicas its active jobs' started units still want keep back (rules/funding.ts). A paused or cancelled
 * job's started units keep nothing: they cannot be leased, and credit kept for them would starve its other jobs.
 */
export async function fundsOf(ctx: StepContext, funder: VolunteerKey, project: JobFacts['project']): Promise<Funds> {
  const { tx } = ctx;
  const balance = balanceOf(await tx.volunteer(funder));
  let committed = 0;
  for (const id of await tx.jobIds({ project }))
    committed += (await ctx.catalog.require(tx, id)).definition.costPerWorkUnit * (await tx.unpaidReplicas([id]));
  let kept = 0;
  for (const id of await tx.jobIds({ project, state: 'active' }))
    kept += (await ctx.catalog.require(tx, id)).definition.costPerWorkUnit * (await tx.startedWant(id));
  return { left: balance - committed, kept };
}

/** Why a funded job cannot lease another replica now, or null when it can (or is not funded). */
export async function unfundedReason(ctx: StepContext, job: JobFacts): Promise<string | null> {
  if (!job.funder) return null;
  const funds = await fundsOf(ctx, job.funder, job.project);
  const cost = job.definition.costPerWorkUnit;
  // Its own started units, not its funder's others: a job whose units none wants is not kept going by another's.
  const own = cost * (await ctx.tx.startedWant(job.id));
  return unfunded(funds, cost, job.definition.redundancy.minQuorum, own);
}

/** Pauses the active funded jobs whose funder cannot pay for another replica; returns them. */
export async function pauseUnfunded(ctx: StepContext): Promise<JobId[]> {
  const paused: JobId[] = [];
  for (const id of await ctx.tx.jobIds({ state: 'active' })) {
    const job = await ctx.catalog.require(ctx.tx, id);
    if (!job.funder || (await unfundedReason(ctx, job)) === null) continue;
    if (!(await ctx.tx.hasUnfinished(id))) continue;
    if ((await ctx.tx.lockJob(id)) !== 'active') continue;
    await ctx.tx.setJobState(id, 'paused');
    ctx.changes.touched.add(id);
    paused.push(id);
  }
  return paused;
}

/**
 * The key's personal project, whose jobs its credit pays for: opened on its first ask, and on every later one
 * the same project under a fresh token (the old token stops working). One per key, under the key's row lock.
 */
export async function openFundedProject(
  tx: Tx,
  funder: VolunteerKey,
  fresh: Project,
  tokenHash: string,
): Promise<Project> {
  await tx.lockVolunteer(funder);
  const existing = await tx.projectFundedBy(funder);
  if (existing) {
    await tx.setProjectTokenHash(existing, tokenHash);
    return (await tx.project(existing)) as Project;
  }
  await tx.insertProject(fresh, tokenHash);
  await tx.insertProjectFunder(fresh.id, funder);
  return fresh;
}
