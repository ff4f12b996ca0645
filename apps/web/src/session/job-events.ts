// What the runtime's events say of the jobs a tab computes for: which job, of which project, a work unit is of (the
// page's "Serving"), who signed each job (its key kept per project for later visits), jobs refused for their
// signature (told once each), the tags of units of jobs that publish their results (this tab's own results, as they
// are computed), and the last few units' times. Computing (computing.ts) has it follow its volunteer, and loads it
// with the runtime, at the first Start: nothing of it is needed before, and the page's load-time JS stays as it was.
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
  /** Told each result this tab computes for a job that publishes its results, as it is computed. */
  readonly ownResults: ReadonlySet<(r: OwnResult) => void>;
}

/** Units whose times make the typical one. */
const RECENT_UNITS = 8;

export interface JobEvents {
  /** The job's project and name, once a lease of it was seen. */
  job(id: string): { readonly project: string; readonly name: string } | undefined;
  /** The mean time of the last few units computed, or null before the first. */
  typicalMs(): number | null;
  /** Follows the volunteer's events; returns what unsubscribes from them. */
  follow(volunteer: Volunteer): (() => void)[];
}

export function jobEvents({ model, store, reloadProjects, ownResults }: JobEventsOptions): JobEvents {
  const jobs = new Map<string, { project: string; name: string }>();
  /** Signers of the jobs checked this session (the runtime checks each lease; it announces a job once). */
  const signers = new Map<string, string | null>();
  /** Jobs refused for their signature, told once each. */
  const refused = new Set<string>();
  const tags = new Map<string, string>();
  const recentMs: number[] = [];

  /**
   * Keeps the key a project's first verified job was signed with, for every later visit: the runtime then holds
   * the project's jobs to it (its JobVerifier's pinned keys), so a coordinator that drops or replaces the key
   * between two visits does not get an unsigned or re-signed job run here.
   */
  async function keepProjectKey(project: string, key: string): Promise<void> {
    if (model.view().settings.projectKeys[project] !== undefined) return;
    // Read and written in one transaction: another tab of this origin keeps its projects' keys beside these.
    const projectKeys = await store.keepProjectKey(project, key).catch(() => null);
    // Not kept (the database closed as the page went): the next visit learns it from the list again.
    if (projectKeys) model.set({ settings: { ...model.view().settings, projectKeys } });
  }

  /** Which project the tab is serving, from the job of the latest lease. */
  function serve(job: string): void {
    const known = jobs.get(job);
    const project = model.view().projects.find((p) => p.id === known?.project) ?? null;
    const signed = signers.has(job) ? { signer: signers.get(job) ?? null } : {};
    if (project || known) model.set({ serving: { project, jobName: known?.name ?? null, ...signed } });
    // A project created since the list was loaded: fetch the list again.
    if (known && !project)
      void reloadProjects().then(() => {
        const found = model.view().projects.find((p) => p.id === known.project);
        if (found) model.set({ serving: { project: found, jobName: known.name, ...signed } });
      });
  }

  return {
    job: (id) => jobs.get(id),
    typicalMs: () => (recentMs.length > 0 ? recentMs.reduce((a, b) => a + b, 0) / recentMs.length : null),
    follow: (volunteer) => [
      volunteer.on('leased', (e) => {
        jobs.set(e.job, { project: e.project, name: e.jobName });
        serve(e.job);
        // A tag comes only with a job that publishes its results: its picture can be shown.
        if (e.tag !== undefined) {
          tags.set(e.workUnit, e.tag);
          if (tags.size > MAX_TAGS) tags.delete(tags.keys().next().value as string);
          if (model.view().picture?.job !== e.job) model.set({ picture: { job: e.job, name: e.jobName } });
        }
      }),
      volunteer.on('verified', (e) => {
        signers.set(e.job, e.signer);
        serve(e.job);
        if (e.signer !== null) void keepProjectKey(e.project, e.signer);
      }),
      volunteer.on('failed', (e) => {
        if (e.code !== 'untrusted_job' || refused.has(e.job)) return;
        refused.add(e.job);
        model.notify('error', 'A job was refused', [e.message, 'Nothing of it ran on this device.']);
      }),
      volunteer.on('computed', (e) => {
        recentMs.push(e.elapsedMs);
        if (recentMs.length > RECENT_UNITS) recentMs.shift();
        model.set({ last: { workUnit: e.workUnit, elapsedMs: e.elapsedMs } });
        const tag = tags.get(e.workUnit);
        tags.delete(e.workUnit);
        if (tag !== undefined)
          for (const l of ownResults) l({ job: e.job, workUnit: e.workUnit, tag, output: e.output });
      }),
      volunteer.on('failed', (e) => tags.delete(e.workUnit)),
    ],
  };
}
