// The page's controller: owns the volunteer store and the runtime's volunteer, turns their events into one
// immutable view for React, and carries out what the person asks for. Nothing here computes until start().
import type { Capabilities, Project, VolunteerStats } from '@bricolage/protocol';
import {
  type AuditReport,
  createKeyBackup,
  DEFAULT_SETTINGS,
  exportReceipts,
  fingerprint,
  parseReceiptsFile,
  type ProjectTally,
  type Rejection,
  restoreKeyBackup,
  type Settings,
  type StoredIdentity,
  type StoredReceipt,
  auditReceipts,
  VolunteerStore,
} from '@bricolage/receipts';
import type { DroppedResult, Volunteer, VolunteerStatus } from '@bricolage/runtime';
import { type PublicApi, publicApi } from './api';
import { type BatteryView, NO_BATTERY_API, watchBattery } from './battery';
import { sameData } from './same-data';

export type Phase =
  | 'loading'
  | 'idle'
  | 'starting'
  | 'computing'
  | 'waiting'
  | 'paused'
  | 'offline'
  | 'stopping'
  | 'stopped'
  | 'failed';

export type PauseReason = 'hidden' | 'battery' | null;

export interface DeviceView {
  /** What runs the demo's kind of job (WGSL): `webgpu` or `wasm`. */
  readonly backend: 'webgpu' | 'wasm' | null;
  readonly adapter: string | null;
  readonly fallbackAdapter: boolean;
  readonly cores: number;
}

export interface CurrentWork {
  readonly workUnit: string;
  readonly job: string;
  readonly jobName: string | null;
  readonly project: Project | null;
  readonly startedAt: number;
}

export interface Notice {
  readonly id: number;
  readonly kind: 'info' | 'success' | 'error';
  readonly title: string;
  readonly lines: readonly string[];
}

export interface View {
  readonly phase: Phase;
  /** Started and not stopped (computing, waiting, paused, or unable to reach the coordinator meanwhile). */
  readonly active: boolean;
  readonly pauseReason: PauseReason;
  readonly fatal: string | null;
  readonly reachable: boolean;
  readonly unreachableSince: number | null;
  readonly coordinatorKey: string | null;
  readonly keyChanged: { readonly was: string; readonly now: string } | null;
  readonly projects: readonly Project[];
  readonly identity: { readonly publicKey: string; readonly fingerprint: string; readonly restored: boolean } | null;
  readonly settings: Settings;
  readonly battery: BatteryView;
  readonly device: DeviceView | null;
  readonly current: CurrentWork | null;
  /** The last work unit finished, shown between work units (most take milliseconds). */
  readonly last: { readonly workUnit: string; readonly elapsedMs: number } | null;
  /** Leased and not yet computed or failed. */
  readonly inHand: number;
  /** The project and job of the last work unit, kept between work units. */
  readonly serving: { readonly project: Project | null; readonly jobName: string | null } | null;
  /** Recent per-WU compute times, for the progress estimate. */
  readonly typicalMs: number | null;
  readonly session: VolunteerStatus['counts'] | null;
  readonly outbox: number;
  readonly dropped: readonly DroppedResult[];
  readonly stats: VolunteerStats | null;
  readonly wuPerMinute: number | null;
  readonly dutyCycle: number | null;
  /** The newest receipts, at most `receiptsShown`: a long-running volunteer holds far more than a page should. */
  readonly receipts: readonly StoredReceipt[];
  readonly receiptsShown: number;
  /** Receipts, credit and failed checks per project, over every receipt kept. */
  readonly totals: readonly ProjectTally[];
  readonly audit: AuditReport | null;
  readonly busy: {
    readonly verifying: boolean;
    readonly importing: boolean;
    readonly backup: boolean;
    readonly restoring: boolean;
  };
  readonly notices: readonly Notice[];
  /** `performance.now()` (ms since the page started loading) when Start was pressed and when the first WU began. */
  readonly timing: { readonly startPressed: number | null; readonly firstCompute: number | null };
}

/** Receipts listed at first. */
export const RECEIPTS_SHOWN = 50;

const INITIAL: View = {
  phase: 'loading',
  active: false,
  pauseReason: null,
  fatal: null,
  reachable: true,
  unreachableSince: null,
  coordinatorKey: null,
  keyChanged: null,
  projects: [],
  identity: null,
  settings: DEFAULT_SETTINGS,
  battery: NO_BATTERY_API,
  device: null,
  current: null,
  serving: null,
  last: null,
  inHand: 0,
  typicalMs: null,
  session: null,
  outbox: 0,
  dropped: [],
  stats: null,
  wuPerMinute: null,
  dutyCycle: null,
  receipts: [],
  receiptsShown: RECEIPTS_SHOWN,
  totals: [],
  audit: null,
  busy: { verifying: false, importing: false, backup: false, restoring: false },
  notices: [],
  timing: { startPressed: null, firstCompute: null },
};

const POLL_MS = 500;
/** Receipts asked for at a time; a shorter page is the last one there is for now. */
const RECEIPTS_PAGE = 100;
const SYNC_MS = 15_000;
const HEALTH_MS = 2_000;
const PROJECTS_MS = 60_000;

export class Session {
  readonly #base: string;
  readonly #api: PublicApi;
  readonly #listeners = new Set<() => void>();
  readonly #timers = new Set<ReturnType<typeof setInterval>>();
  readonly #jobs = new Map<string, { project: string; name: string }>();
  readonly #recentMs: number[] = [];
  #view: View = INITIAL;
  #store: VolunteerStore | null = null;
  #volunteer: Volunteer | null = null;
  #creating: Promise<Volunteer> | null = null;
  #runtimeState: VolunteerStatus['state'] = 'idle';
  #poll: ReturnType<typeof setInterval> | null = null;
  #healthTimer: ReturnType<typeof setTimeout> | null = null;
  #syncing: Promise<void> | null = null;
  #syncSoon: ReturnType<typeof setTimeout> | null = null;
  #stopBattery: () => void = () => undefined;
  #unsubscribe: (() => void)[] = [];
  #noticeId = 0;
  #currentLease: string | null = null;
  /** The coordinator's counters for this volunteer when Start was first pressed; undefined before. */
  #statsAtStart: VolunteerStats | null | undefined = undefined;
  #closed = false;
  #booted = false;

  /** `?project=ID` limits this tab to one project (farms use it). */
  readonly #project: string | null;

  constructor(base = location.origin, project: string | null = null) {
    this.#base = base;
    this.#project = project;
    this.#api = publicApi(base, this.#fetch);
  }

  // React's useSyncExternalStore contract.
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };
  readonly view = (): View => this.#view;

  /**
   * Applies `patch`, keeping every value that did not change as it was, and tells the listeners only when
   * something did: the status is polled twice a second and most polls change nothing, and a page that renders
   * for nothing makes garbage for nothing (a farm runs many such pages for hours).
   */
  #set(patch: Partial<View>): void {
    const before = this.#view;
    const changed: Partial<Record<keyof View, unknown>> = {};
    let any = false;
    for (const key of Object.keys(patch) as (keyof View)[]) {
      if (sameData(before[key], patch[key])) continue;
      changed[key] = patch[key];
      any = true;
    }
    if (any) this.#view = { ...before, ...(changed as Partial<View>) };
    const state = this.#runtimeState;
    const active =
      state === 'starting' || state === 'running' || state === 'waiting' || state === 'paused' || state === 'pausing';
    const phase = this.#phase();
    if (phase !== this.#view.phase || active !== this.#view.active) this.#view = { ...this.#view, phase, active };
    if (this.#view === before) return;
    for (const listener of this.#listeners) listener();
  }

  /** Opens the store, reads the coordinator's public state, and delivers results left from before. Computes nothing. */
  async boot(): Promise<void> {
    // The coordinator's public state is fetched while the database opens.
    const discovery = this.#api.wellKnown().then(
      (known) => known.publicKey,
      (error: Error) => {
        console.warn('coordinator discovery failed', error);
        return null;
      },
    );
    const projects = this.#loadProjects();
    const battery = watchBattery((battery) => {
      this.#set({ battery });
      this.#applyBattery();
    });
    try {
      this.#store = await VolunteerStore.open();
    } catch (error) {
      this.#set({ fatal: `This browser would not open the page's database (IndexedDB): ${(error as Error).message}` });
      return;
    }
    const store = this.#store;
    const [settings, identity, outbox] = await Promise.all([store.settings(), store.identity(), store.outbox.size()]);
    this.#set({ settings, identity: identity ? await this.#identityView(identity) : null, outbox });
    await Promise.all([this.#refreshReceipts(), this.#adoptCoordinatorKey(await discovery), projects]);
    this.#stopBattery = await battery;
    this.#every(PROJECTS_MS, () => void this.#loadProjects());
    // Receipts arrive when results validate, which may be long after they were sent (a quorum of two).
    this.#every(SYNC_MS, () => {
      if (this.#view.active && this.#view.reachable) this.#scheduleSync(0);
    });
    this.#booted = true;
    this.#set({});
    // User Timing marks: visible in the browser's performance tools, and read by bench/web.
    performance.mark('bricolage:ready');
    // Results computed before a reload or a browser restart are delivered now; nothing new is computed.
    if (outbox > 0 && identity) void this.deliver();
  }

  async #identityView(identity: StoredIdentity) {
    return {
      publicKey: identity.publicKey,
      fingerprint: await fingerprint(identity.publicKey),
      restored: identity.restoredAt !== undefined,
    };
  }

  /** Trust on first use: the key first seen is kept; a different one later is shown as a warning. */
  async #adoptCoordinatorKey(published: string | null): Promise<void> {
    const store = this.#store;
    if (!store) return;
    const saved = this.#view.settings.coordinatorKey;
    if (published === null) {
      // Unreachable: the key seen last time still verifies receipts.
      this.#set({ coordinatorKey: saved });
      return;
    }
    if (saved === null) await store.saveSettings({ coordinatorKey: published });
    this.#set({
      coordinatorKey: published,
      keyChanged: saved !== null && saved !== published ? { was: saved, now: published } : null,
      settings: { ...this.#view.settings, coordinatorKey: saved ?? published },
    });
  }

  async #loadCoordinator(): Promise<void> {
    try {
      await this.#adoptCoordinatorKey((await this.#api.wellKnown()).publicKey);
    } catch (error) {
      console.warn('coordinator discovery failed', error);
    }
  }

  async #loadProjects(): Promise<void> {
    try {
      this.#set({ projects: await this.#api.projects() });
    } catch (error) {
      console.warn('project list unavailable', error);
    }
  }

  /** Every request goes through here: it tells reachable from unreachable. */
  readonly #fetch: typeof fetch = async (input, init) => {
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      this.#markUnreachable();
      throw error;
    }
    this.#markReachable();
    return response;
  };

  #markUnreachable(): void {
    if (!this.#view.reachable) return;
    this.#set({ reachable: false, unreachableSince: Date.now() });
    this.#watchHealth();
  }

  #markReachable(): void {
    if (this.#view.reachable) return;
    this.#set({ reachable: true, unreachableSince: null });
    // Back: deliver what waited, without sitting out the submitter's backoff, and catch up on receipts.
    if (this.#volunteer) void this.#volunteer.flush(15_000).then(() => this.#scheduleSync(0));
    if (!this.#view.coordinatorKey) void this.#loadCoordinator();
    void this.#loadProjects();
  }

  #watchHealth(): void {
    if (this.#healthTimer || this.#closed) return;
    const probe = async () => {
      this.#healthTimer = null;
      if (this.#view.reachable || this.#closed) return;
      try {
        await this.#api.health();
      } catch (error) {
        void error; // Still unreachable; #fetch has recorded it.
      }
      if (!this.#view.reachable) this.#healthTimer = setTimeout(probe, HEALTH_MS);
    };
    this.#healthTimer = setTimeout(probe, HEALTH_MS);
  }

  #phase(): Phase {
    const v = this.#view;
    if (v.fatal) return 'failed';
    if (!this.#booted) return 'loading';
    const state = this.#runtimeState;
    if (state === 'starting') return 'starting';
    if (state === 'stopping') return 'stopping';
    const running = state === 'running' || state === 'waiting' || state === 'paused' || state === 'pausing';
    if (!v.reachable) return 'offline';
    if (!running) return state === 'stopped' ? 'stopped' : 'idle';
    // 'pausing': paused, with the work unit already in the worker still finishing.
    if (state === 'paused' || state === 'pausing') return 'paused';
    if (state === 'waiting') return 'waiting';
    return 'computing';
  }

  #pauseReason(status: VolunteerStatus): PauseReason {
    if (status.state !== 'paused' && status.state !== 'pausing') return null;
    if (status.pauseWhenHidden && status.hidden) return 'hidden';
    return 'battery';
  }

  /** The runtime's volunteer for the stored identity, created on first need (Start, delivery, receipts). */
  async #ensureVolunteer(): Promise<Volunteer> {
    if (this.#volunteer) return this.#volunteer;
    this.#creating ??= (async () => {
      const store = this.#requireStore();
      const identity = await store.ensureIdentity();
      this.#set({ identity: await this.#identityView(identity) });
      const { settings } = this.#view;
      // The runtime loads with the first Start (or delivery), not with the page.
      const { createVolunteer } = await import('@bricolage/runtime');
      const volunteer = await createVolunteer({
        coordinator: this.#base,
        identity: { publicKeyText: identity.publicKey, privateKey: identity.privateKey },
        outbox: store.outbox,
        throttle: settings.throttle / 100,
        pauseWhenHidden: settings.pauseWhenHidden,
        fetch: this.#fetch,
        ...(this.#project ? { project: this.#project } : {}),
      });
      this.#unsubscribe = [
        volunteer.on('state', (e) => {
          this.#runtimeState = e.state;
          void this.#refreshStatus();
        }),
        volunteer.on('leased', (e) => {
          this.#jobs.set(e.job, { project: e.project, name: e.jobName });
          this.#serve(e.job);
        }),
        volunteer.on('computed', (e) => {
          this.#recentMs.push(e.elapsedMs);
          if (this.#recentMs.length > 8) this.#recentMs.shift();
          this.#set({ last: { workUnit: e.workUnit, elapsedMs: e.elapsedMs } });
        }),
        volunteer.on('submitted', () => this.#scheduleSync(500)),
        volunteer.on('dropped', () => void this.#refreshStatus()),
        volunteer.on('set-aside', () => void this.#refreshStatus()),
      ];
      this.#volunteer = volunteer;
      return volunteer;
    })().finally(() => {
      this.#creating = null;
    });
    return this.#creating;
  }

  /** Which project the tab is serving, from the job of the latest lease. */
  #serve(job: string): void {
    const known = this.#jobs.get(job);
    const project = this.#view.projects.find((p) => p.id === known?.project) ?? null;
    if (project || known) this.#set({ serving: { project, jobName: known?.name ?? null } });
    // A project created since the list was loaded: fetch the list again.
    if (known && !project)
      void this.#loadProjects().then(() => {
        const found = this.#view.projects.find((p) => p.id === known.project);
        if (found) this.#set({ serving: { project: found, jobName: known.name } });
      });
  }

  #requireStore(): VolunteerStore {
    if (!this.#store) throw new Error('the volunteer store is not open');
    return this.#store;
  }

  // actions

  async start(): Promise<void> {
    if (!this.#store || this.#runtimeState === 'running' || this.#runtimeState === 'starting') return;
    if (this.#view.timing.startPressed === null) {
      this.#set({ timing: { ...this.#view.timing, startPressed: performance.now() } });
      performance.mark('bricolage:start');
    }
    try {
      const volunteer = await this.#ensureVolunteer();
      this.#runtimeState = 'starting';
      this.#set({});
      this.#startPolling();
      // What this identity had earned before this page computed anything (farms count their run from it).
      if (this.#statsAtStart === undefined) {
        const before = await volunteer.stats();
        this.#statsAtStart = before.ok ? before.value : null;
      }
      await volunteer.start();
      this.#applyBattery();
      const capabilities = await volunteer.capabilities();
      this.#set({ device: deviceView(capabilities) });
      this.#scheduleSync(0);
    } catch (error) {
      this.#notify('error', 'Could not start', [(error as Error).message]);
      this.#runtimeState = 'stopped';
      this.#set({});
    }
  }

  async stop(): Promise<void> {
    const volunteer = this.#volunteer;
    if (!volunteer) return;
    await volunteer.stop('finish');
    await this.#refreshStatus();
    this.#stopPolling();
    this.#scheduleSync(0);
  }

  async setThrottle(percent: number): Promise<void> {
    const throttle = Math.min(100, Math.max(10, Math.round(percent)));
    this.#set({ settings: { ...this.#view.settings, throttle } });
    this.#volunteer?.setThrottle(throttle / 100);
    await this.#store?.saveSettings({ throttle });
  }

  async setPauseWhenHidden(enabled: boolean): Promise<void> {
    this.#set({ settings: { ...this.#view.settings, pauseWhenHidden: enabled } });
    this.#volunteer?.setPauseWhenHidden(enabled);
    await this.#store?.saveSettings({ pauseWhenHidden: enabled });
  }

  async setPauseOnBattery(enabled: boolean): Promise<void> {
    this.#set({ settings: { ...this.#view.settings, pauseOnBattery: enabled } });
    this.#applyBattery();
    await this.#store?.saveSettings({ pauseOnBattery: enabled });
  }

  #applyBattery(): void {
    const volunteer = this.#volunteer;
    if (!volunteer) return;
    const { battery, settings } = this.#view;
    if (settings.pauseOnBattery && battery.supported && battery.charging === false) volunteer.pause();
    else volunteer.resume();
    void this.#refreshStatus();
  }

  /** Submits what waits in the outbox now (after a reload or when the coordinator is back). */
  async deliver(): Promise<void> {
    try {
      const volunteer = await this.#ensureVolunteer();
      await volunteer.flush(15_000);
      await this.#refreshStatus();
      this.#scheduleSync(0);
    } catch (error) {
      this.#notify('error', 'Could not deliver waiting results', [(error as Error).message]);
    }
  }

  /** Fetches new receipts from the coordinator; each is stored only once it verifies. */
  syncReceipts(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const store = this.#store;
    const key = this.#view.coordinatorKey;
    if (!store || !key || !this.#view.identity) return;
    const volunteer = await this.#ensureVolunteer();
    let after = await store.lastIndex(key, volunteer.id);
    const rejected: Rejection[] = [];
    let added = 0;
    for (let pages = 0; pages < 100; pages++) {
      const page = await volunteer.receipts(after, RECEIPTS_PAGE);
      if (!page.ok) break;
      if (page.value.receipts.length === 0) break;
      const outcome = await store.addReceipts(page.value.receipts, key, volunteer.id);
      rejected.push(...outcome.rejected);
      added += outcome.added;
      if (page.value.receipts.length < RECEIPTS_PAGE) break;
      if (page.value.next === null || page.value.next <= after) break;
      after = page.value.next;
    }
    if (rejected.length > 0)
      this.#notify(
        'error',
        `The coordinator sent ${rejected.length} receipt(s) that do not verify; they were not kept`,
        rejected.slice(0, 5).map((r) => `${r.workUnit ?? `#${r.position}`}: ${r.message}`),
      );
    const stats = await volunteer.stats();
    if (stats.ok) this.#set({ stats: stats.value });
    // The list and totals change only with new receipts: a sync that stored none reads nothing back.
    if (added > 0) await this.#refreshReceipts();
  }

  /** Syncs within `delayMs`; a sync already due sooner is kept, so a stream of submissions cannot starve it. */
  #scheduleSync(delayMs: number): void {
    if (this.#syncSoon && delayMs > 0) return;
    if (this.#syncSoon) clearTimeout(this.#syncSoon);
    this.#syncSoon = setTimeout(() => {
      this.#syncSoon = null;
      this.syncReceipts().catch((error: Error) => console.warn('receipt sync failed', error));
    }, delayMs);
  }

  async #refreshReceipts(): Promise<void> {
    const store = this.#store;
    if (!store || store.closed) return;
    const [receipts, totals] = await Promise.all([store.recentReceipts(this.#view.receiptsShown), store.totals()]);
    this.#set({ receipts, totals });
  }

  /** Lists the newest `count` receipts (at least RECEIPTS_SHOWN). */
  async showReceipts(count: number): Promise<void> {
    this.#set({ receiptsShown: Math.max(RECEIPTS_SHOWN, Math.round(count)) });
    await this.#refreshReceipts();
  }

  /** Re-checks every kept receipt against the coordinator's key and the log's current signed tree head. */
  async verifyAll(): Promise<AuditReport | null> {
    const store = this.#store;
    const key = this.#view.coordinatorKey;
    if (!store) return null;
    if (!key) {
      this.#notify('error', 'Cannot verify yet', [
        'The coordinator’s public key is not known: it has never been reachable from this browser.',
      ]);
      return null;
    }
    this.#set({ busy: { ...this.#view.busy, verifying: true } });
    try {
      if (this.#view.reachable && this.#view.identity) await this.syncReceipts();
      const records = await store.receipts();
      const report = await auditReceipts(records, key, this.#view.reachable ? this.#api : null);
      await store.recordChecks(report.verdicts);
      await this.#refreshReceipts();
      this.#set({ audit: report });
      const where =
        report.against === 'current'
          ? `against the log’s current tree head (size ${report.treeSize})`
          : 'against the tree heads stored with them';
      if (report.failed.length === 0)
        this.#notify('success', `All ${report.checked} receipts verified`, [
          `Coordinator signatures and Merkle inclusion proofs checked ${where}.`,
          ...(report.note ? [report.note] : []),
        ]);
      else
        this.#notify('error', `${report.failed.length} of ${report.checked} receipts failed verification`, [
          ...report.failed.slice(0, 5).map((f) => `${f.workUnit}: ${f.message}`),
          ...(report.note ? [report.note] : []),
        ]);
      return report;
    } finally {
      this.#set({ busy: { ...this.#view.busy, verifying: false } });
    }
  }

  /** The receipts file: every receipt of this identity with its proof and signed tree head. */
  async exportReceipts(): Promise<{ name: string; text: string } | null> {
    const store = this.#store;
    const { identity, coordinatorKey } = this.#view;
    if (!store || !identity || !coordinatorKey) return null;
    const file = exportReceipts(await store.receipts(), coordinatorKey, identity.publicKey);
    const day = new Date().toISOString().slice(0, 10);
    return {
      name: `bricolage-receipts-${identity.fingerprint.replace(/ /g, '')}-${day}.json`,
      text: `${JSON.stringify(file, null, 1)}\n`,
    };
  }

  async importReceipts(text: string, fileName: string): Promise<void> {
    const store = this.#store;
    const { identity, coordinatorKey } = this.#view;
    if (!store) return;
    if (!identity) {
      this.#notify('error', `Nothing imported from ${fileName}`, [
        'There is no volunteer key in this browser yet: restore your key backup first (or press Start to create a key).',
      ]);
      return;
    }
    if (!coordinatorKey) {
      this.#notify('error', `Nothing imported from ${fileName}`, [
        'The coordinator’s public key is not known yet, so nothing can be verified.',
      ]);
      return;
    }
    this.#set({ busy: { ...this.#view.busy, importing: true } });
    try {
      const parsed = parseReceiptsFile(text);
      if (!parsed.ok) {
        this.#notify('error', `Nothing imported from ${fileName}`, [parsed.error.message]);
        return;
      }
      const outcome = await store.addReceipts(parsed.value.receipts, coordinatorKey, identity.publicKey);
      await this.#refreshReceipts();
      const summary = `${outcome.added} added, ${outcome.alreadyHere} already here, ${outcome.rejected.length} rejected`;
      if (outcome.rejected.length === 0) this.#notify('success', `Imported ${fileName}`, [summary]);
      else
        this.#notify('error', `Imported ${fileName} with ${outcome.rejected.length} rejected receipt(s)`, [
          summary,
          ...outcome.rejected
            .slice(0, 8)
            .map((r) => `Rejected entry ${r.position + 1}${r.workUnit ? ` (${r.workUnit})` : ''}: ${r.message}`),
          ...(parsed.value.log && parsed.value.log !== coordinatorKey
            ? [`The file says its receipts come from another coordinator (key ${parsed.value.log.slice(0, 12)}…).`]
            : []),
        ]);
    } finally {
      this.#set({ busy: { ...this.#view.busy, importing: false } });
    }
  }

  async backupKey(passphrase: string): Promise<{ name: string; text: string } | null> {
    const store = this.#store;
    if (!store) return null;
    const identity = await store.identity();
    if (!identity) {
      this.#notify('error', 'No key to back up', ['A key is created when you first press Start.']);
      return null;
    }
    this.#set({ busy: { ...this.#view.busy, backup: true } });
    try {
      const receipts = (await store.receipts()).filter((r) => r.volunteer === identity.publicKey).map((r) => r.proven);
      const backup = await createKeyBackup(identity, passphrase, receipts);
      if (!backup.ok) {
        this.#notify('error', 'No backup made', [backup.error.message]);
        return null;
      }
      const fp = (await fingerprint(identity.publicKey)).replace(/ /g, '');
      this.#notify('success', 'Key backup ready', [
        `It holds your key and ${receipts.length} receipt(s), encrypted with your passphrase. Keep the file and the passphrase apart.`,
      ]);
      return { name: `bricolage-key-${fp}.json`, text: `${JSON.stringify(backup.value, null, 1)}\n` };
    } finally {
      this.#set({ busy: { ...this.#view.busy, backup: false } });
    }
  }

  async restoreKey(text: string, passphrase: string): Promise<boolean> {
    const store = this.#store;
    if (!store) return false;
    if (['running', 'waiting', 'paused', 'pausing'].includes(this.#runtimeState)) {
      this.#notify('error', 'Stop computing first', [
        'The key cannot be replaced while this tab is computing with it.',
      ]);
      return false;
    }
    this.#set({ busy: { ...this.#view.busy, restoring: true } });
    try {
      const restored = await restoreKeyBackup(text, passphrase);
      if (!restored.ok) {
        this.#notify('error', 'Key not restored', [restored.error.message]);
        return false;
      }
      const { identity } = restored.value;
      // The old volunteer is bound to the old key: retire it (its outbox stays and is still delivered).
      if (this.#volunteer && this.#volunteer.id !== identity.publicKey) {
        const old = this.#volunteer;
        this.#volunteer = null;
        for (const off of this.#unsubscribe) off();
        await old.close(2000);
      }
      await store.replaceIdentity(identity);
      this.#set({ identity: await this.#identityView(identity) });
      const key = this.#view.coordinatorKey;
      const added = key ? await store.addReceipts(restored.value.receipts, key, identity.publicKey) : null;
      await this.#refreshReceipts();
      this.#notify('success', `Key ${this.#view.identity?.fingerprint} restored`, [
        added
          ? `${added.added} receipt(s) restored from the backup${added.rejected.length ? `, ${added.rejected.length} did not verify and were left out` : ''}.`
          : 'Receipts will be checked once the coordinator is reachable.',
      ]);
      if (this.#view.reachable) this.#scheduleSync(0);
      return true;
    } finally {
      this.#set({ busy: { ...this.#view.busy, restoring: false } });
    }
  }

  dismiss(id: number): void {
    this.#set({ notices: this.#view.notices.filter((n) => n.id !== id) });
  }

  #notify(kind: Notice['kind'], title: string, lines: readonly string[]): void {
    const notice: Notice = { id: ++this.#noticeId, kind, title, lines };
    this.#set({ notices: [...this.#view.notices.slice(-3), notice] });
  }

  // status polling while computing

  #startPolling(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => void this.#refreshStatus(), POLL_MS);
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }

  async #refreshStatus(): Promise<void> {
    const volunteer = this.#volunteer;
    const store = this.#store;
    if (!volunteer || !store || store.closed) return;
    const status = await volunteer.status();
    this.#runtimeState = status.state;
    let current: CurrentWork | null = null;
    if (status.current) {
      const job = this.#jobs.get(status.current.job);
      const previous = this.#view.current;
      current = {
        workUnit: status.current.workUnit,
        job: status.current.job,
        jobName: job?.name ?? null,
        project: this.#view.projects.find((p) => p.id === job?.project) ?? null,
        startedAt: previous && this.#currentLease === status.current.lease ? previous.startedAt : Date.now(),
      };
      this.#currentLease = status.current.lease;
    }
    const recent = this.#recentMs;
    const { counts } = status;
    if (this.#view.timing.firstCompute === null && status.firstComputeMs !== null)
      performance.mark('bricolage:first-compute', { startTime: status.firstComputeMs });
    this.#set({
      inHand: Math.max(0, counts.leased - counts.computed - counts.failed),
      pauseReason: this.#pauseReason(status),
      current,
      typicalMs: recent.length > 0 ? recent.reduce((a, b) => a + b, 0) / recent.length : null,
      session: status.counts,
      outbox: status.counts.outbox,
      dropped: status.dropped,
      wuPerMinute: status.wuPerSecond === null ? null : status.wuPerSecond * 60,
      dutyCycle: status.dutyCycle,
      // The runtime stamps the first compute with performance.now(): ms since this page started loading.
      timing: { ...this.#view.timing, firstCompute: this.#view.timing.firstCompute ?? status.firstComputeMs },
    });
  }

  #every(ms: number, task: () => void): void {
    const timer = setInterval(task, ms);
    this.#timers.add(timer);
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

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopPolling();
    for (const timer of this.#timers) clearInterval(timer);
    if (this.#healthTimer) clearTimeout(this.#healthTimer);
    if (this.#syncSoon) clearTimeout(this.#syncSoon);
    this.#stopBattery();
    await this.#volunteer?.close(2000);
    this.#store?.close();
  }
}

function deviceView(capabilities: Capabilities): DeviceView {
  const gpu = capabilities.webgpu;
  const adapter = gpu
    ? [gpu.vendor, gpu.architecture, gpu.description].filter(Boolean).join(' ') || 'WebGPU adapter'
    : null;
  const backend = capabilities.backends.wgsl;
  return {
    backend: backend === 'webgpu' || backend === 'wasm' ? backend : null,
    adapter,
    fallbackAdapter: gpu?.isFallbackAdapter ?? false,
    cores: capabilities.hardwareConcurrency,
  };
}
