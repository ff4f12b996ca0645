// Signed jobs at admission: a project's key is the one its first signed job was signed with, and from then on
// every job it creates must carry a valid signature by that key. The coordinator checks so that a researcher
// learns of a bad signature at once; the volunteers check again, since they need not trust the coordinator.
import { type Failure, jobSignatureProblem, type JobDefinition } from '@bricolage/protocol';
import type { JobRecord } from '../store/store';

/** The key a project's jobs are signed with: that of its earliest signed job, or null when it has none. */
export function projectSigningKey(jobs: readonly JobRecord[]): string | null {
  let first: JobRecord | null = null;
  for (const job of jobs)
    if (job.definition.signature && (first === null || job.createdAt < first.createdAt)) first = job;
  return first?.definition.signature?.key ?? null;
}

export async function signatureProblem(
  project: string,
  definition: JobDefinition,
  existing: readonly JobRecord[],
): Promise<Failure | null> {
  const key = projectSigningKey(existing) ?? definition.signature?.key ?? null;
  if (key === null) return null;
  const problem = await jobSignatureProblem({ ...definition, project, signature: definition.signature }, key);
  if (problem === null) return null;
  return {
    code: 'bad_signature',
    message: `job refused: ${problem}. Sign it with the project's key: bricolage job create signs with its file, on the machine where bricolage project key made it (a new key will not do).`,
  };
}
