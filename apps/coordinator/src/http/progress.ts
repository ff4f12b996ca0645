// A job's progress as the API reports it: counts and replica activity from the store, and the diagnosis
// (rules/diagnosis.ts) from them and the volunteers seen lately.
import {
  checkingOf,
  type JobProgress,
  type JobStatus,
  type ListedProject,
  MAX_ERROR_TALLIES,
  type VolunteerKey,
  workUnitId,
} from '@bricolage/protocol';
import { projectSigningKey } from '../admission/signature';
import { retakeEndedBy } from '../rules/assignment';
import { diagnose, eligibleVolunteers, needsWorkCheck } from '../rules/diagnosis';
import type { JobRecord } from '../store/store';
import type { Deps } from './env';

/** Eligible volunteers asked whether they could be leased a unit: enough to tell "none" from "some". */
const MAX_ASKED = 20;

export async function progressOf(deps: Deps, job: JobRecord): Promise<JobProgress> {
  const p = await deps.store.progress(job.id);
  const activity = await deps.store.activity(job.id, MAX_ERROR_TALLIES);
  const now = deps.clock.now();
  const online = deps.recent.online(now);
  const { eligible } = eligibleVolunteers(job.definition.spec, job.project, online);
  let anyEligibleHasWork = true;
  let retakeOpensAt: number | null = null;
  if (p.counts.unsent + p.counts.in_progress > 0 && needsWorkCheck(job.state, p.wanting, eligible.length)) {
    anyEligibleHasWork = false;
    // What a lease would give them now: a unit a key gave back only once its wait is over (steps/lease.ts).
    const endedBy = retakeEndedBy(now, job.definition.leaseSeconds);
    const asked = eligible.slice(-MAX_ASKED);
    for (const e of asked)
      if (await deps.store.hasWorkFor(job.id, e.volunteer.key as VolunteerKey, e.backend, endedBy)) {
        anyEligibleHasWork = true;
        break;
      }
    // None has: whether the job only waits for one of them to retake a unit, and until when.
    if (!anyEligibleHasWork)
      for (const e of asked) {
        const at = await deps.store.retakeOpensAt(job.id, e.volunteer.key as VolunteerKey, e.backend, now, endedBy);
        if (at !== null && (retakeOpensAt === null || at < retakeOpensAt)) retakeOpensAt = at;
      }
  }
  return {
    job: job.id,
    state: job.state,
    counts: p.counts,
    knownAnswer: p.knownAnswer,
    suspectAnswers: p.suspectAnswers,
    credit: p.credit,
    diagnosis: diagnose({
      state: job.state,
      spec: job.definition.spec,
      project: job.project,
      minQuorum: job.definition.redundancy.minQuorum,
      counts: p.counts,
      wanting: p.wanting,
      unfunded: p.unfunded,
      suspectAnswers: p.suspectAnswers,
      online,
      windowMinutes: Math.round(deps.recent.windowMs / 60_000),
      anyEligibleHasWork,
      retakeOpensInMs: retakeOpensAt === null ? null : retakeOpensAt - now,
    }),
    activeVolunteers: activity.activeVolunteers,
    replicas: {
      issued: activity.issued,
      reissued: p.reissued,
      valid: activity.valid,
      invalid: activity.invalid,
      errors: activity.errors,
      givenBack: activity.givenBack,
      withdrawn: activity.withdrawn,
    },
    errors: activity.errorCodes.map((e) => ({
      code: e.code,
      count: e.count,
      example: { workUnit: workUnitId(e.workUnit), message: e.message },
    })),
    at: now,
  };
}

/** What anyone may see of a job: its name, state, counts, diagnosis, and how its results are checked. */
export async function statusOf(deps: Deps, job: JobRecord): Promise<JobStatus> {
  const p = await progressOf(deps, job);
  return {
    id: job.id,
    name: job.definition.name,
    state: job.state,
    counts: p.counts,
    diagnosis: p.diagnosis,
    checking: checkingOf(job.definition, p.knownAnswer),
    // Jobs stored before the flag existed have none: their results are private.
    publicResults: job.definition.publicResults === true,
  };
}

/** The public project list: every project with the jobs a volunteer may be given (active or paused) and their checking. */
export async function listedProjects(deps: Deps): Promise<ListedProject[]> {
  return Promise.all(
    (await deps.store.listProjects()).map(async (project) => {
      const all = await deps.store.listJobs(project.id);
      const open = all.filter((j) => j.state === 'active' || j.state === 'paused');
      const jobs = await Promise.all(
        open.map(async (job) => ({
          id: job.id,
          name: job.definition.name,
          state: job.state,
          kind: job.definition.spec.kind,
          checking: checkingOf(job.definition, (await deps.store.progress(job.id)).knownAnswer),
        })),
      );
      return { ...project, signingKey: projectSigningKey(all), jobs };
    }),
  );
}
