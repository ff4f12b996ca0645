// What the runtime's events say of the jobs a tab computes for: which job, of which project, a work unit is of (the
// page's "Serving"), who signed each job (its key kept per project for later visits), jobs refused for their
// signature (told once each), the tags of units of jobs that publish their results (this tab's own results, as they
// are computed), and the last few units' times. Computing (computing.ts) has it follow its volunteer.
import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { ViewModel } from './view';

/** A result this tab computed for a job that publishes its results: where it goes, and what it is. */
export interface OwnResult {
  readonly job: string;
  readonly workUnit: string;
  readonly tag: string;
  readonly output: Uint8Array;
}

/** Tags of work units in hand, kept only until computed or failed: bounded all the same. */
const MAX_TAGS = 1000;

export interface JobEventsOptions {
  readonly model: ViewModel;
  readonly store: VolunteerStore;
  /** Reads the project list again (a lease named a project created since it was read). */
  readonly reloadProjects: () => Promise<void>;
}

/** Units whose times make the typical one. */
const RECENT_UNITS = 8;

export class JobEvents {
  readonly #o: JobEventsOptions;
  readonly #jobs = new Map<string, { project: string; name: string }>();
  /** Signers of the jobs checked this session (the runtime checks each lease; it announces a job once). */
  readonly #signers = new Map<string, string | null>();
  /** Jobs refused for their signature, told once each. */
  readonly #refused = new Set<string>();
  readonly #tags = new Map<string, string>();
  readonly #ownResults = new Set<(r: OwnResult) => void>();
  readonly #recentMs: number[] = [];

  constructor(options: JobEventsOptions) {
    this.#o = options;
  }

  /** The job's project and name, once a lease of it was seen. */
  job(id: string): { readonly project: string; readonly name: string } | undefined {
    return this.#jobs.get(id);
  }

  /** The mean time of the last few units computed, or null before the first. */
  get typicalMs(): number | null {
    const recent = this.#recentMs;
    return recent.length > 0 ? recent.reduce((a, b) => a + b, 0) / recent.length : null;
  }

  /** Each result this tab computes for a job that publishes its results, as it is computed. */
  onOwnResult(listener: (r: OwnResult) => void): () => void {
    this.#ownResults.add(listener);
    return () => this.#ownResults.delete(listener);
  }

  /** Follows the volunteer's events; returns what unsubscribes from them. */
  follow(volunteer: Volunteer): (() => void)[] {
    return [
      volunteer.on('leased', (e) => {
        this.#jobs.set(e.job, { project: e.project, name: e.jobName });
        this.#serve(e.job);
        // A tag comes only with a job that publishes its results: its picture can be shown.
        if (e.tag !== undefined) {
          this.#tags.set(e.workUnit, e.tag);
          if (this.#tags.size > MAX_TAGS) this.#tags.delete(this.#tags.keys().next().value as string);
          if (this.#o.model.view().picture?.job !== e.job)
            this.#o.model.set({ picture: { job: e.job, name: e.jobName } });
        }
      }),
      volunteer.on('verified', (e) => {
        this.#signers.set(e.job, e.signer);
        this.#serve(e.job);
        if (e.signer !== null) void this.#keepProjectKey(e.project, e.signer);
      }),
      volunteer.on('failed', (e) => {
        if (e.code !== 'untrusted_job' || this.#refused.has(e.job)) return;
        this.#refused.add(e.job);
        this.#o.model.notify('error', 'A job was refused', [e.message, 'Nothing of it ran on this device.']);
      }),
      volunteer.on('computed', (e) => {
        this.#recentMs.push(e.elapsedMs);
        if (this.#recentMs.length > RECENT_UNITS) this.#recentMs.shift();
        this.#o.model.set({ last: { workUnit: e.workUnit, elapsedMs: e.elapsedMs } });
        const tag = this.#tags.get(e.workUnit);
        this.#tags.delete(e.workUnit);
        if (tag !== undefined)
          for (const l of this.#ownResults) l({ job: e.job, workUnit: e.workUnit, tag, output: e.output });
      }),
      volunteer.on('failed', (e) => this.#tags.delete(e.workUnit)),
    ];
  }

  /**
   * Keeps the key a project's first verified job was signed with, for every later visit: the runtime then holds
   * the project's jobs to it (its JobVerifier's pinned keys), so a coordinator that drops or replaces the key
   * between two visits does not get an unsigned or re-signed job run here.
   */
  async #keepProjectKey(project: string, key: string): Promise<void> {
    const { model, store } = this.#o;
    if (model.view().settings.projectKeys[project] !== undefined) return;
    // Read and written in one transaction: another tab of this origin keeps its projects' keys beside these.
    const projectKeys = await store.keepProjectKey(project, key).catch(() => null);
    // Not kept (the database closed as the page went): the next visit learns it from the list again.
    if (projectKeys) model.set({ settings: { ...model.view().settings, projectKeys } });
  }

  /** Which project the tab is serving, from the job of the latest lease. */
  #serve(job: string): void {
    const { model } = this.#o;
    const known = this.#jobs.get(job);
    const project = model.view().projects.find((p) => p.id === known?.project) ?? null;
    const signed = this.#signers.has(job) ? { signer: this.#signers.get(job) ?? null } : {};
    if (project || known) model.set({ serving: { project, jobName: known?.name ?? null, ...signed } });
    // A project created since the list was loaded: fetch the list again.
    if (known && !project)
      void this.#o.reloadProjects().then(() => {
        const found = model.view().projects.find((p) => p.id === known.project);
        if (found) model.set({ serving: { project: found, jobName: known.name, ...signed } });
      });
  }
}
