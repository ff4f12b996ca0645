// Computing: the runtime's volunteer for the stored identity, created on first need (Start, delivery,
// receipts), and what it is doing turned into the view: state, current work unit, counts, pauses. What its events
// say of the jobs it computes for is job-events.ts'.
import type { VolunteerStats } from '@bricolage/protocol';
import type { VolunteerStore } from '@bricolage/receipts';
import type { BlobSource, VisibilitySource, Volunteer, VolunteerStatus } from '@bricolage/runtime';
import { type BatteryView, watchBattery } from '../battery';
import type { JobEvents, OwnResult } from './job-events';
import type { OutboxNews } from './outbox-news';
import { type CurrentWork, deviceView, identityView, type PauseReason, pausedOnBattery, type ViewModel } from './view';

export type { OwnResult } from './job-events';

const POLL_MS = 500;

export interface ComputingOptions {
  readonly base: string;
  /** Lease only from this project (farms' `?project=`, the widget's project). */
  readonly project: string | null;
  readonly model: ViewModel;
  readonly store: VolunteerStore;
  /** The connectivity's fetch, so that the runtime's requests tell reachable from unreachable too. */
  readonly fetch: typeof fetch;
  /** Asks for the receipts to be fetched within `delayMs`. */
  readonly syncSoon: (delayMs: number) => void;
  /** Reads the project list again (a lease named a project created since it was read). */
  readonly reloadProjects: () => Promise<void>;
  /** What counts as hidden; the document's visibility by default (the widget adds its card being out of view). */
  readonly visibility?: VisibilitySource & { readonly reason?: () => PauseReason };
  /** Where job assets come from first (the page's peers); the coordinator otherwise. */
  readonly blobSource?: (coordinator: BlobSource) => BlobSource;
  /**
   * The other tabs' news of the store's outbox (outbox-news.ts, for the store's database; passed in, not imported: it
   * loads after the page, with the grids' code), `heard` called when one changed it.
   */
  readonly news?: (heard: () => Promise<unknown>) => OutboxNews;
}

export class Computing {
  readonly #o: ComputingOptions;
  /** What the volunteer's events say of its jobs: loaded with the runtime (job-events.ts). */
  #jobs: JobEvents | null = null;
  readonly #ownResults = new Set<(r: OwnResult) => void>();
  #volunteer: Volunteer | null = null;
  #creating: Promise<Volunteer> | null = null;
  #unsubscribe: (() => void)[] = [];
  #poll: ReturnType<typeof setInterval> | null = null;
  #currentLease: string | null = null;
  /** Status reads started, and the latest one applied: an older read answered late must not undo a newer one. */
  #reads = 0;
  #applied = 0;
  /** The coordinator's counters for this volunteer when Start was first pressed; undefined before. */
  #statsAtStart: VolunteerStats | null | undefined = undefined;
  /**
   * Which of Start and Stop came last. A Stop while a start creates the runtime's volunteer or reads its counters
   * finds nothing under way to stop (the runtime's own start, not called yet, is what obeys a Stop later): that
   * start sees it here and goes no further.
   */
  #latest: 'start' | 'stop' = 'stop';
  /**
   * From Start until the runtime's own start has returned: meanwhile the runtime still says what it was before
   * (idle, or a past Stop's stopped), which a status read must not show over the page's "Starting".
   */
  #handingOver = false;
  /** Opened before the page first counts its outbox (outbox-news.ts): no other tab's change after that is missed. */
  readonly #news: OutboxNews | null;

  constructor(options: ComputingOptions) {
    this.#o = options;
    this.#news = options.news?.(() => this.#heard()) ?? null;
  }

  get volunteer(): Volunteer | null {
    return this.#volunteer;
  }

  /** Each result this tab computes for a job that publishes its results, as it is computed. */
  onOwnResult(listener: (r: OwnResult) => void): () => void {
    this.#ownResults.add(listener);
    return () => this.#ownResults.delete(listener);
  }

  /** The runtime's volunteer for the stored identity, created on first need (Start, delivery, receipts). */
  ensureVolunteer(): Promise<Volunteer> {
    if (this.#volunteer) return Promise.resolve(this.#volunteer);
    this.#creating ??= this.#create().finally(() => {
      this.#creating = null;
    });
    return this.#creating;
  }

  async #create(): Promise<Volunteer> {
    const { model, store } = this.#o;
    const identity = await store.ensureIdentity();
    model.set({ identity: await identityView(identity) });
    const { settings } = model.view();
    // The runtime loads with the first Start (or delivery), not with the page.
    const [{ createVolunteer }, { jobEvents }] = await Promise.all([
      import('@bricolage/runtime'),
      import('./job-events'),
    ]);
    const volunteer = await createVolunteer({
      coordinator: this.#o.base,
      identity: { publicKeyText: identity.publicKey, privateKey: identity.privateKey },
      outbox: this.#news?.announcing(store.outbox) ?? store.outbox,
      throttle: settings.throttle / 100,
      pauseWhenHidden: settings.pauseWhenHidden,
      projects: settings.servedProjects,
      projectKeys: new Map(Object.entries(settings.projectKeys)),
      fetch: this.#o.fetch,
      ...(this.#o.project ? { project: this.#o.project } : {}),
      ...(this.#o.visibility ? { visibility: this.#o.visibility } : {}),
      ...(this.#o.blobSource ? { blobSource: this.#o.blobSource } : {}),
    });
    this.#jobs ??= jobEvents({ ...this.#o, ownResults: this.#ownResults });
    const jobs = this.#jobs;
    this.#unsubscribe = [
      // The new state is shown together with its pause reason, both read from one status: set alone, a pause
      // showed for a moment with the reason not yet known (and worded as the battery's when the tab was hidden).
      volunteer.on('state', () => void this.refreshStatus()),
      ...jobs.follow(volunteer),
      volunteer.on('submitted', () => this.#o.syncSoon(500)),
      volunteer.on('dropped', () => void this.refreshStatus()),
      volunteer.on('set-aside', () => void this.refreshStatus()),
      volunteer.on('held-back', () => void this.refreshStatus()),
    ];
    this.#volunteer = volunteer;
    return volunteer;
  }

  async start(): Promise<void> {
    const { model } = this.#o;
    this.#latest = 'start';
    const state = model.view().runtimeState;
    if (state === 'running' || state === 'starting') return;
    if (model.view().timing.startPressed === null) {
      model.set({ timing: { ...model.view().timing, startPressed: performance.now() } });
      performance.mark('bricolage:start');
      // The key, its receipts and the results waiting are the volunteer's: the browser is asked to keep them under
      // storage pressure (Chrome decides by itself, Firefox asks) at a visit's first Start (the first makes the key;
      // asking again is harmless, and a cross-origin frame is simply told no).
      void globalThis.navigator?.storage?.persist?.().catch(() => undefined);
    }
    try {
      const volunteer = await this.ensureVolunteer();
      if (this.#stopCameLast()) return;
      this.#handingOver = true;
      model.set({ runtimeState: 'starting' });
      this.#startPolling();
      // What this identity had earned before this page computed anything (farms count their run from it).
      if (this.#statsAtStart === undefined) {
        const before = await volunteer.stats();
        this.#statsAtStart = before.ok ? before.value : null;
      }
      if (this.#stopCameLast()) return;
      // Paused first where the battery says so: a Start on battery then examines the device and leases only once
      // it is plugged in.
      this.applyBattery();
      await volunteer.start();
      // Stopped before it started (while it waited for the battery, say): the device is not examined now either.
      if ((await volunteer.status()).state === 'stopped') return;
      const capabilities = await volunteer.capabilities();
      model.set({ device: deviceView(capabilities) });
      this.#o.syncSoon(0);
    } catch (error) {
      model.notify('error', 'Could not start', [(error as Error).message]);
      model.set({ runtimeState: 'stopped' });
    } finally {
      this.#handingOver = false;
    }
  }

  /** `finish` lets the work unit in the worker complete; `now` ends it at once (the widget's Stop and revoke). */
  async stop(mode: 'finish' | 'now' = 'finish'): Promise<void> {
    this.#latest = 'stop';
    const volunteer = this.#volunteer;
    if (!volunteer) return;
    await volunteer.stop(mode);
    await this.refreshStatus();
    this.#stopPolling();
    this.#o.syncSoon(0);
  }

  /** Read through a call: after `#latest = 'start'`, TypeScript would take it for 'start' across the awaits. */
  #stopCameLast(): boolean {
    return this.#latest === 'stop';
  }

  async setThrottle(percent: number): Promise<void> {
    const { model, store } = this.#o;
    const throttle = Math.min(100, Math.max(10, Math.round(percent)));
    model.set({ settings: { ...model.view().settings, throttle } });
    this.#volunteer?.setThrottle(throttle / 100);
    await store.saveSettings({ throttle });
  }

  /** The pipeline's duty cycle alone, not the setting: the volunteer's share when the tab serves several grids. */
  setDuty(duty: number): void {
    this.#volunteer?.setThrottle(duty);
  }

  async setPauseWhenHidden(enabled: boolean): Promise<void> {
    const { model, store } = this.#o;
    model.set({ settings: { ...model.view().settings, pauseWhenHidden: enabled } });
    this.#volunteer?.setPauseWhenHidden(enabled);
    await store.saveSettings({ pauseWhenHidden: enabled });
  }

  /** Serves the project or stops serving it; the first choice turns "every project" into a list. */
  async setServed(project: string, serve: boolean): Promise<void> {
    const { model, store } = this.#o;
    const { settings, projects } = model.view();
    const current = settings.servedProjects ?? projects.map((p) => p.id as string);
    const servedProjects = serve ? [...new Set([...current, project])] : current.filter((p) => p !== project);
    model.set({ settings: { ...settings, servedProjects } });
    this.#volunteer?.setProjects(servedProjects);
    await store.saveSettings({ servedProjects });
  }

  async setPauseOnBattery(enabled: boolean): Promise<void> {
    const { model, store } = this.#o;
    model.set({ settings: { ...model.view().settings, pauseOnBattery: enabled } });
    this.applyBattery();
    await store.saveSettings({ pauseOnBattery: enabled });
  }

  /** Follows the battery (where the browser reports it) and pauses on it when the settings say so. */
  watchBattery(): Promise<() => void> {
    return watchBattery((battery: BatteryView) => {
      this.#o.model.set({ battery });
      this.applyBattery();
    });
  }

  /** Re-evaluates what pauses the volunteer: the battery here; visibility is the runtime's own. */
  applyBattery(): void {
    const volunteer = this.#volunteer;
    if (!volunteer) return;
    if (pausedOnBattery(this.#o.model.view())) volunteer.pause();
    else volunteer.resume();
    void this.refreshStatus();
  }

  /**
   * Submits what waits in the outbox now (when the coordinator is back, say). `kept`: at load, only where it holds
   * results from before a reload, to deliver or set aside (the runtime, which shows those set aside, loads for them);
   * `retry`: the set-aside ones go back into delivery first (the coordinator may have been fixed since).
   */
  async deliver(how?: 'kept' | 'retry'): Promise<void> {
    const { store } = this.#o;
    try {
      if (how === 'kept') {
        const { undelivered, setAside } = await store.outbox.counts();
        if (undelivered + setAside === 0 || !(await store.identity())) return;
      }
      const volunteer = await this.ensureVolunteer();
      if (how === 'retry') await volunteer.retrySetAside();
      // What it holds set aside is shown at once, not once a delivery that may wait on the coordinator ends.
      await this.refreshStatus();
      await volunteer.flush(15_000);
      await this.refreshStatus();
      this.#o.syncSoon(0);
    } catch (error) {
      this.#o.model.notify('error', 'Could not deliver waiting results', [(error as Error).message]);
    }
  }

  /**
   * The coordinator is back: ask for work and deliver what waited now, without sitting out the lease queue's or
   * the submitter's backoff (a tab with nothing to deliver would otherwise idle up to 30 s).
   */
  coordinatorBack(): void {
    if (!this.#volunteer) return;
    this.#volunteer.coordinatorBack();
    void this.#volunteer.flush(15_000).then(() => this.#o.syncSoon(0));
  }

  /**
   * Retires the volunteer bound to an identity that is being replaced (a restored key backup); its outbox
   * stays and is still delivered by the next one.
   */
  async retire(keepKey: string): Promise<void> {
    if (!this.#volunteer || this.#volunteer.id === keepKey) return;
    const old = this.#volunteer;
    this.#volunteer = null;
    for (const off of this.#unsubscribe) off();
    await old.close(2000);
  }

  /**
   * Another tab changed the outbox: what waits is counted again, and the results set aside are read again (with their
   * reasons, which are listed, and their bytes) only where their number changed, not at each result another computing
   * tab puts in or delivers. A tab with no volunteer yet (nothing waited at its load, never started) makes one for
   * results set aside, as its load would have: they are shown with their Retry (nothing computes).
   */
  async #heard(): Promise<void> {
    const { model, store } = this.#o;
    if (store.closed) return;
    const { undelivered, setAside } = await store.outbox.counts();
    if (model.view().outbox !== undelivered) model.set({ outbox: undelivered });
    const volunteer = this.#volunteer;
    if (setAside === (model.view().session?.setAside ?? 0)) return;
    if (!volunteer) return this.deliver('kept');
    await volunteer.readSetAside();
    await this.refreshStatus();
  }

  async refreshStatus(): Promise<void> {
    const volunteer = this.#volunteer;
    const { model, store } = this.#o;
    if (!volunteer || store.closed) return;
    const read = ++this.#reads;
    const status = await volunteer.status();
    if (read < this.#applied) return;
    this.#applied = read;
    const view = model.view();
    let current: CurrentWork | null = null;
    if (status.current) {
      const job = this.#jobs?.job(status.current.job);
      const previous = view.current;
      current = {
        workUnit: status.current.workUnit,
        job: status.current.job,
        jobName: job?.name ?? null,
        project: view.projects.find((p) => p.id === job?.project) ?? null,
        startedAt: previous && this.#currentLease === status.current.lease ? previous.startedAt : Date.now(),
      };
      this.#currentLease = status.current.lease;
    }
    const { counts } = status;
    if (view.timing.firstCompute === null && status.firstComputeMs !== null)
      performance.mark('bricolage:first-compute', { startTime: status.firstComputeMs });
    const before = status.state === 'idle' || status.state === 'stopped';
    model.set({
      runtimeState: this.#handingOver && before && this.#latest === 'start' ? 'starting' : status.state,
      inHand: Math.max(0, counts.leased - counts.computed - counts.failed),
      pauseReason: this.#pauseReason(status),
      current,
      typicalMs: this.#jobs?.typicalMs() ?? null,
      session: status.counts,
      outbox: status.counts.outbox,
      dropped: status.dropped,
      heldBack: status.heldBack,
      wuPerMinute: status.wuPerSecond === null ? null : status.wuPerSecond * 60,
      dutyCycle: status.dutyCycle,
      // The runtime stamps the first compute with performance.now(): ms since this page started loading.
      timing: { ...view.timing, firstCompute: view.timing.firstCompute ?? status.firstComputeMs },
    });
  }

  /** Why the volunteer is paused, as far as it is known for sure; null rather than a guess. */
  #pauseReason(status: VolunteerStatus): PauseReason {
    if (status.state !== 'paused' && status.state !== 'pausing') return null;
    if (status.pauseWhenHidden && status.hidden) return this.#o.visibility?.reason?.() ?? 'hidden';
    return pausedOnBattery(this.#o.model.view()) ? 'battery' : null;
  }

  /** The runtime's live status and the coordinator's counters, for automation (headless farms). */
  async live(): Promise<{ status: VolunteerStatus | null; stats: VolunteerStats | null }> {
    const volunteer = this.#volunteer;
    if (!volunteer) return { status: null, stats: null };
    const [status, stats] = await Promise.all([volunteer.status(), volunteer.stats()]);
    return { status, stats: stats.ok ? stats.value : null };
  }

  /** The coordinator's counters for this volunteer just before this page first computed, if they were read. */
  statsAtStart(): { validated: number; rejected: number; errors: number } | null {
    const s = this.#statsAtStart;
    return s ? { validated: s.valid, rejected: s.invalid, errors: s.errors } : null;
  }

  /** Submits what the outbox holds; true when it emptied within `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    return this.#volunteer ? this.#volunteer.flush(timeoutMs) : true;
  }

  /** Stops polling and closes the volunteer, submitting what it can within `timeoutMs`. */
  async close(timeoutMs = 2000): Promise<void> {
    this.#stopPolling();
    await this.#volunteer?.close(timeoutMs);
    this.#news?.close();
  }

  #startPolling(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => void this.refreshStatus(), POLL_MS);
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }
}
