// Checks a leased job's signature against its project's published key before anything of it is fetched or
// run. The key is read from the public project list and remembered: once a project has shown a key, a job of
// that project unsigned or signed by another key is refused even if the list later says otherwise, so a
// coordinator cannot drop or replace a project's key while this volunteer is serving it. The page keeps the
// keys it saw across visits and hands them back as pinned (apps/web session/computing.ts).
import { type LeasedJob, type ListedProject, jobSignatureProblem, keyFingerprint } from '@bricolage/protocol';
import type { ClientResult } from './coordinator-client';

export interface ProjectKeySource {
  projects(): Promise<ClientResult<ListedProject[]>>;
}

export type JobCheck =
  | { readonly ok: true; readonly signer: string | null }
  | { readonly ok: false; readonly message: string; readonly transient: boolean };

export class JobVerifier {
  readonly #source: ProjectKeySource;
  /** Keys seen per project: published by the list, or given pinned (a volunteer's choice, kept by its page). */
  readonly #keys = new Map<string, string>();
  /** Projects the list was read for and found without a key. */
  readonly #unsigned = new Set<string>();
  /** The key each project has in the list as last read (null: none), to say so when it is not the key held. */
  readonly #listedKeys = new Map<string, string | null>();

  constructor(source: ProjectKeySource, pinned: ReadonlyMap<string, string> = new Map()) {
    this.#source = source;
    for (const [project, key] of pinned) this.#keys.set(project, key);
  }

  /**
   * Reads the list now and remembers the keys it names, as `check` would: a volunteer starting reads it ahead of
   * its first lease (to see what the grid runs), and its first job's check then needs no read of its own.
   */
  async listed(): Promise<ClientResult<ListedProject[]>> {
    const listed = await this.#source.projects();
    if (!listed.ok) return listed;
    for (const p of listed.value) {
      this.#listedKeys.set(p.id, p.signingKey);
      if (p.signingKey === null) {
        if (!this.#keys.has(p.id)) this.#unsigned.add(p.id);
      } else if (!this.#keys.has(p.id)) {
        this.#keys.set(p.id, p.signingKey);
        this.#unsigned.delete(p.id);
      }
    }
    return listed;
  }

  async check(job: LeasedJob): Promise<JobCheck> {
    let key = this.#keys.get(job.project) ?? null;
    // Unknown project, or a signed job of a project thought unsigned: read the list (once per such event).
    if (key === null && (!this.#unsigned.has(job.project) || job.signature)) {
      const listed = await this.listed();
      if (!listed.ok)
        return { ok: false, message: `cannot read the project list: ${listed.error.message}`, transient: true };
      key = this.#keys.get(job.project) ?? null;
    }
    const problem = await jobSignatureProblem(job, key);
    if (problem === null) return { ok: true, signer: key };
    // Held against the list: say that the key is the one first seen, not the one the coordinator lists now.
    const listed = this.#listedKeys.get(job.project);
    const held =
      key !== null && listed !== undefined && listed !== key
        ? `; this volunteer holds the key it first saw for the project, and the coordinator now lists ${listed === null ? 'none' : `another, ${keyFingerprint(listed)}`}`
        : '';
    return {
      ok: false,
      transient: false,
      message: `refused job “${job.name}” (${job.id}) of project ${job.project}: ${problem}${held}`,
    };
  }
}
