// Why a job is where it is, as one sentence a researcher (or a farm) can act on: a pure function of the
// job's state and counts and of the volunteers seen lately. The shell gathers the facts (http/progress.ts).
import {
  type BackendClass,
  chooseBackend,
  type JobDiagnosis,
  type JobSpec,
  type JobState,
  type WorkUnitCounts,
} from '@bricolage/protocol';
import type { SeenVolunteer } from '../volunteers/recent';

export interface DiagnosisFacts {
  readonly state: JobState;
  readonly spec: JobSpec;
  readonly project: string;
  readonly minQuorum: number;
  /** As the results show them: known answers found suspect are among the failed (`suspectAnswers`). */
  readonly counts: WorkUnitCounts;
  /** Units that want another replica now (need > 0). */
  readonly wanting: number;
  /** Why the job's funder cannot pay for another replica (a volunteer-funded job), or null. */
  readonly unfunded?: string | null;
  /**
   * Its known answers found suspect (rules/known-answers.ts), of `counts.failed`: the researcher's to mend,
   * whatever else is said.
   */
  readonly suspectAnswers?: number;
  /** Volunteers seen within the last `windowMinutes`. */
  readonly online: readonly SeenVolunteer[];
  readonly windowMinutes: number;
  /**
   * Whether any eligible volunteer online could be leased a unit of this job now (one it has never
   * held): the shell asks the store only when `needsWorkCheck` says the answer matters.
   */
  readonly anyEligibleHasWork: boolean;
  /**
   * When none has: how long until the first unit opens to one of them to retake (one it gave back or let run out:
   * rules/assignment.ts RetakeRule), in ms; null when none may retake any.
   */
  readonly retakeOpensInMs?: number | null;
}

export interface EligibleVolunteer {
  readonly volunteer: SeenVolunteer;
  readonly backend: BackendClass;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A wait in whole minutes, rounded up, or in hours past two of them (a retake may wait 8 lease periods). */
const inWords = (ms: number): string => {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return minutes < 120 ? plural(minutes, 'minute') : plural(Math.ceil(minutes / 60), 'hour');
};

/**
 * The volunteers online that would be leased this job: same project (when they asked for one), able to run it, and
 * not shut out by their own standing (too many errors, results that no longer vote).
 */
export function eligibleVolunteers(
  spec: JobSpec,
  project: string,
  online: readonly SeenVolunteer[],
): { eligible: EligibleVolunteer[]; reasons: Map<string, number> } {
  const eligible: EligibleVolunteer[] = [];
  const reasons = new Map<string, number>();
  const count = (why: string) => reasons.set(why, (reasons.get(why) ?? 0) + 1);
  for (const v of online) {
    if (v.project !== null && v.project !== project) {
      count('only works for another project');
      continue;
    }
    const fit = chooseBackend(spec, v.capabilities);
    if (!fit.ok) count(fit.why);
    // Able to run it, but its own standing keeps it from leasing anything: it will not run this job either.
    else if (v.shutOut?.why === 'errors') count('returned too many errors: no leases for up to an hour');
    else if (v.shutOut?.why === 'not_voting')
      count('its results no longer count: it failed a known answer or was outvoted too often');
    else eligible.push({ volunteer: v, backend: fit.backend });
  }
  return { eligible, reasons };
}

/** Whether the diagnosis turns on `anyEligibleHasWork`: an active job with units that want replicas and eligible volunteers online. */
export const needsWorkCheck = (state: JobState, wanting: number, eligible: number): boolean =>
  state === 'active' && wanting > 0 && eligible > 0;

export function diagnose(f: DiagnosisFacts): JobDiagnosis {
  const { eligible, reasons } = eligibleVolunteers(f.spec, f.project, f.online);
  const volunteers = { connected: f.online.length, eligible: eligible.length };
  // A wrong expected output judges no one once found out, but only its researcher can mend it: said with every
  // diagnosis, since the job may run or even complete meanwhile.
  const suspect = f.suspectAnswers ?? 0;
  const mend =
    suspect > 0
      ? `; ${plural(suspect, 'known answer')} found suspect (volunteers of several networks returned one other ` +
        'output): failed in the results, with why; check the expected outputs you gave'
      : '';
  const result = (code: JobDiagnosis['code'], stalled: boolean, why: string): JobDiagnosis => ({
    code,
    stalled,
    why: why + mend,
    volunteers,
  });
  const c = f.counts;
  const unfinished = c.unsent + c.in_progress;
  // Known answers, found suspect or not, never finish a job (store hasFinished): only its other units do.
  const finished = c.validated + c.failed - suspect + c.cancelled;
  if (f.state === 'cancelled') return result('cancelled', false, `cancelled: ${c.validated} validated before it was`);
  if (f.state === 'completed' || (unfinished === 0 && finished > 0))
    return result('completed', false, `completed: ${c.validated} validated, ${c.failed} failed`);
  if (f.state === 'paused' && f.unfunded && unfinished > 0)
    return result('paused', true, `paused: ${f.unfunded}; earn credit, then resume the job`);
  if (f.state === 'paused')
    return result(
      'paused',
      unfinished > 0,
      `paused: ${plural(unfinished, 'work unit')} wait; resume the job to lease them`,
    );
  if (unfinished === 0) return result('no_work_units', true, 'no work units: add some to the job');
  if (f.wanting === 0)
    return result(
      'waiting_for_results',
      false,
      `all units leased, waiting for results: ${plural(c.in_progress, 'work unit')} in progress`,
    );
  if (f.online.length === 0)
    return result(
      'no_volunteers',
      true,
      `no volunteer online: none has been heard from in the last ${plural(f.windowMinutes, 'minute')}`,
    );
  if (eligible.length === 0) {
    const kind = f.spec.kind === 'wgsl' ? 'WGSL' : 'ONNX model';
    const top = [...reasons].sort((a, b) => b[1] - a[1])[0];
    return result(
      'no_eligible_volunteer',
      true,
      `no eligible volunteer online: ${f.online.length} connected, 0 can run this job's ${kind}` +
        (top ? ` (${top[1]}: ${top[0]})` : ''),
    );
  }
  // A key that gave a unit back (or let it run out) may retake it, but only after a wait that grows with each retake:
  // meanwhile a lease gives it nothing, yet the job is not stuck. Any other volunteer may take the units now.
  if (!f.anyEligibleHasWork && f.retakeOpensInMs != null)
    return result(
      'waiting_for_retake',
      false,
      `${plural(f.wanting, 'work unit')} ${f.wanting === 1 ? 'waits' : 'wait'}: the eligible volunteers online ` +
        `(${eligible.length}) hold or returned every unit that wants one, and one of them may retake a unit it gave ` +
        `back or let run out in ${inWords(f.retakeOpensInMs)} (each retake waits longer); any other volunteer may take one now`,
    );
  if (!f.anyEligibleHasWork)
    return result(
      'waiting_for_volunteers',
      true,
      `${plural(f.wanting, 'work unit')} wait for more volunteers: each needs ${f.minQuorum} distinct volunteers to agree, ` +
        `and the eligible volunteers online (${eligible.length}) already hold or returned them`,
    );
  // Volunteers that could run it online, yet nothing of it out: they are busy with other jobs' units (a lease
  // offers jobs in a random order), or have not asked for work since it was added. "Running" would not be true.
  if (c.in_progress === 0) {
    const who =
      eligible.length === 1
        ? 'the eligible volunteer online leases them as it asks'
        : `the ${eligible.length} eligible volunteers online lease them as they ask`;
    return result(
      'queued',
      false,
      `queued: ${plural(f.wanting, 'work unit')} wait and none is leased yet; ${who} for work, other jobs' units perhaps first`,
    );
  }
  return result('running', false, `running: ${eligible.length} of ${f.online.length} connected volunteers can run it`);
}
