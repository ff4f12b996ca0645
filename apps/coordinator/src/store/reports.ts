// Reports the routes read from rows as they stand, without a step: a job's activity and a volunteer's figures.
import type { JobId, VolunteerKey, VolunteerStats } from '@bricolage/protocol';
import { balanceOf } from '../steps/fund';
import type { Tx } from './persistence';
import type { JobActivity } from './store';

/** Its replicas by state (kept per job by the store, so a few rows), its active keys and its latest failures. */
export async function jobActivity(tx: Tx, id: JobId, limit: number): Promise<JobActivity> {
  const byState = new Map((await tx.replicaStates(id)).map((r) => [r.state, r.n] as const));
  const n = (state: string) => byState.get(state) ?? 0;
  return {
    activeVolunteers: await tx.activeVolunteers(id),
    issued: [...byState.values()].reduce((a, b) => a + b, 0),
    valid: n('valid'),
    invalid: n('invalid'),
    errors: n('error') + n('expired'),
    givenBack: n('released'),
    withdrawn: n('withdrawn'),
    errorCodes: (await tx.failures(id, limit)).map((f) => ({
      code: f.code,
      count: f.count,
      workUnit: f.workUnit,
      message: f.message ?? 'no result arrived before the lease ran out',
    })),
  };
}

/** A key's counters, balance and standing; zeros for a key never seen. */
export async function volunteerStats(tx: Tx, volunteer: VolunteerKey): Promise<VolunteerStats> {
  const v = await tx.volunteer(volunteer);
  return {
    volunteer,
    leased: v?.leased ?? 0,
    returned: v?.returned ?? 0,
    valid: v?.valid ?? 0,
    invalid: v?.invalid ?? 0,
    errors: v?.errors ?? 0,
    pending: v?.pending ?? 0,
    credit: v?.credit ?? 0,
    spent: v?.spent ?? 0,
    unspendable: v?.ownCredit ?? 0,
    balance: balanceOf(v),
    fundedProject: await tx.projectFundedBy(volunteer),
    // Its validated results since trust was last lost, as of the last one (rules/reputation.ts fades them
    // with time), and whether it stopped voting (a failed known answer, or too many wrong answers).
    consecutiveValid: Math.round(v?.standing.reputation.record ?? 0),
    flagged: v ? !v.standing.reputation.voting : false,
  };
}
