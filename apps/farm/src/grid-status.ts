// What the grid still has to do when a farm found no work: read from the coordinator's public project
// status, so that a farm that stops for lack of work says why the work that is left was not given to it.
import { API, type ProjectStatus } from '@bricolage/protocol';

export interface UnfinishedJob {
  readonly project: string;
  readonly job: string;
  readonly name: string;
  /** Work units unsent or in progress. */
  readonly unfinished: number;
  /** The coordinator's diagnosis, e.g. "no eligible volunteer online: 4 connected, 0 can run this job's WGSL". */
  readonly why: string;
}

/** The jobs, active or paused, that still have work units to finish. */
export function unfinishedJobs(statuses: readonly ProjectStatus[]): UnfinishedJob[] {
  const out: UnfinishedJob[] = [];
  for (const { project, jobs } of statuses)
    for (const j of jobs) {
      const unfinished = j.counts.unsent + j.counts.in_progress;
      if ((j.state === 'active' || j.state === 'paused') && unfinished > 0)
        out.push({ project: project.name, job: j.id, name: j.name, unfinished, why: j.diagnosis.why });
    }
  return out;
}

/** Reads the status of one project, or of every project; null when the coordinator could not tell. */
export async function readGridStatus(
  coordinator: string,
  project?: string,
  fetchImpl: typeof fetch = fetch,
): Promise<ProjectStatus[] | null> {
  const get = async <T>(path: string): Promise<T | null> => {
    try {
      const res = await fetchImpl(new URL(path, coordinator), { signal: AbortSignal.timeout(10_000) });
      return res.ok ? ((await res.json()) as T) : null;
    } catch {
      return null;
    }
  };
  const ids = project
    ? [project]
    : ((await get<{ projects: { id: string }[] }>(API.projects))?.projects.map((p) => p.id) ?? null);
  if (!ids) return null;
  const statuses: ProjectStatus[] = [];
  for (const id of ids) {
    const status = await get<ProjectStatus>(API.projectStatus(id));
    if (!status) return null;
    statuses.push(status);
  }
  return statuses;
}

/** Lines for a person: how much is left, and why each job's work did not reach the farm. */
export function describeUnfinished(jobs: readonly UnfinishedJob[]): string[] {
  const total = jobs.reduce((n, j) => n + j.unfinished, 0);
  return [
    `The grid still has ${total} unfinished work unit${total === 1 ? '' : 's'}, but none for this farm:`,
    ...jobs.map((j) => `  ${j.job} "${j.name}" (${j.project}): ${j.unfinished} left; ${j.why}`),
  ];
}
