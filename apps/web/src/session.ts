// The volunteer page's session: composes the view model, the coordinator's connectivity, computing, receipt
// sync, key backup and peers (apps/web/src/session/) into the one object the page's React tree and its automation
// hook drive. Nothing here computes, and no peer is met, until start().
import type { AuditReport } from '@bricolage/receipts';
import { DB_NAME, VolunteerStore } from '@bricolage/receipts';
import { ProjectId, type VolunteerStats } from '@bricolage/protocol';
import type { VolunteerStatus } from '@bricolage/runtime';
import { publicApi } from './api';
import { Computing, type OwnResult } from './session/computing';
import { Connectivity } from './session/connectivity';
import type { Grids } from './session/grids';
import type { KeyBackup } from './session/key-backup';
import { Peers } from './session/peers';
import { ReceiptSync } from './session/receipt-sync';
import { identityView, pausedOnBattery, ViewModel } from './session/view';
import { type LocalWallet, localWallet, openFundedProject } from './session/wallet';

export {
  type AssetFetch,
  type CurrentWork,
  type DeviceView,
  type Notice,
  type PauseReason,
  type Phase,
  RECEIPTS_SHOWN,
  type View,
} from './session/view';
export type { LocalWallet } from './session/wallet';

const PROJECTS_MS = 60_000;

/** The parts that need the open store. */
interface Parts {
  readonly store: VolunteerStore;
  readonly computing: Computing;
  readonly receipts: ReceiptSync;
  /** Loaded at the first backup or restore: nothing of it is needed before. */
  readonly keys: () => Promise<KeyBackup>;
  readonly peers: Peers;
  readonly grids: Grids;
}

export class Session {
  readonly #base: string;
  /** `?project=ID` limits this tab to one project (farms use it). */
  readonly #project: string | null;
  readonly #model = new ViewModel();
  readonly #connectivity: Connectivity;
  #parts: Parts | null = null;
  #projectsTimer: ReturnType<typeof setInterval> | null = null;
  #stopBattery: () => void = () => undefined;
  #unwatchPeers: () => void = () => undefined;

  constructor(base = location.origin, project: string | null = null) {
    this.#base = base;
    // `?project=` that is no project id names no project (the coordinator refuses it in a lease): said once the
    // page is up, and the page serves the grid's projects as it would without it. Nothing runs before Start.
    const wellFormed = project === null || ProjectId.safeParse(project).success;
    this.#project = wellFormed ? project : null;
    if (!wellFormed)
      this.#model.notify('error', 'Not a project id', [
        `?project=${project.slice(0, 40)}: serving every project instead.`,
      ]);
    this.#connectivity = new Connectivity({ base, model: this.#model, onBack: () => this.#coordinatorBack() });
  }

  readonly subscribe = this.#model.subscribe;
  readonly view = this.#model.view;

  /** Opens the store, reads the coordinator's public state, and delivers results left from before. Computes nothing. */
  async boot(): Promise<void> {
    const connectivity = this.#connectivity;
    const model = this.#model;
    // The coordinator's public state is fetched while the database opens.
    const discovery = connectivity.publishedKey();
    const projects = connectivity.loadProjects();
    let store: VolunteerStore;
    try {
      store = await VolunteerStore.open();
    } catch (error) {
      model.set({ fatal: `This browser would not open the page's database (IndexedDB): ${(error as Error).message}` });
      return;
    }
    const receipts: ReceiptSync = new ReceiptSync({
      model,
      store,
      api: connectivity.api,
      volunteer: () => computing.ensureVolunteer(),
    });
    const peers: Peers = new Peers({
      base: this.#base,
      project: this.#project,
      model,
      api: connectivity.api,
      fetch: connectivity.fetch,
      volunteer: () => computing.ensureVolunteer(),
      identity: () => store.ensureIdentity(),
    });
    // The other grids' code is its own chunk: the first paint does not wait for it. The other tabs' news of the outboxes
    // comes with it, before any outbox is counted.
    const { Grids, outboxNews } = await import('./session/grids');
    const computing = new Computing({
      base: this.#base,
      project: this.#project,
      model,
      store,
      fetch: connectivity.fetch,
      syncSoon: receipts.schedule,
      reloadProjects: () => connectivity.loadProjects(),
      blobSource: peers.blobSource,
      news: (heard) => outboxNews(DB_NAME, heard),
    });
    const grids: Grids = new Grids({
      home: this.#base,
      store,
      model,
      setHomeDuty: (duty) => computing.setDuty(duty),
      homeVolunteer: () => computing.ensureVolunteer(),
      syncHome: () => receipts.syncFromNow(),
      onBattery: () => pausedOnBattery(model.view()),
      publicApi,
      openStore: (name) => VolunteerStore.open(name),
      outboxNews,
    });
    this.#parts = {
      store,
      computing,
      receipts,
      keys: once(
        async () => new (await import('./session/key-backup')).KeyBackup({ model, store, computing, receipts, grids }),
      ),
      peers,
      grids,
    };
    const battery = computing.watchBattery();
    const [settings, identity, outbox] = await Promise.all([store.settings(), store.identity(), store.outbox.size()]);
    model.set({ settings, identity: identity ? await identityView(identity) : null, outbox });
    await Promise.all([receipts.refresh(), connectivity.adoptCoordinatorKey(store, await discovery), projects]);
    this.#stopBattery = await battery;
    // On battery the rooms are left with the computing paused, and joined again on the charger (if started).
    const onBattery = () => peers.setPaused(pausedOnBattery(model.view()));
    onBattery();
    this.#unwatchPeers = model.subscribe(onBattery);
    await grids.boot();
    this.#projectsTimer = setInterval(() => void connectivity.loadProjects(), PROJECTS_MS);
    receipts.syncPeriodically();
    model.set({ booted: true });
    // User Timing marks: visible in the browser's performance tools, and read by bench/web.
    performance.mark('bricolage:ready');
    // Results computed before a reload or a browser restart are delivered now, those set aside shown; nothing new is
    // computed.
    void computing.deliver('kept');
    // Key backup and restore load after the first paint, not at the first click: they must work with the
    // coordinator, which serves the page's code, gone.
    void this.#parts.keys().catch(() => undefined);
  }

  /** Back after being unreachable: deliver what waited, catch up on receipts, and read what may have changed. */
  #coordinatorBack(): void {
    const parts = this.#parts;
    parts?.computing.coordinatorBack();
    parts?.peers.coordinatorBack();
    if (parts) void this.#connectivity.readKeyAgain(parts.store);
    void this.#connectivity.loadProjects();
  }

  // actions

  async start(): Promise<void> {
    // The rooms are joined while the device is examined; the first asset fetch waits for them a moment.
    this.#parts?.peers.start();
    await this.#parts?.computing.start();
    await this.#parts?.grids.start();
  }

  async stop(): Promise<void> {
    if (this.#parts) await stopParts(this.#parts);
  }

  async setThrottle(percent: number): Promise<void> {
    await this.#parts?.computing.setThrottle(percent);
  }

  async setPauseWhenHidden(enabled: boolean): Promise<void> {
    await this.#parts?.computing.setPauseWhenHidden(enabled);
    this.#parts?.grids.setPauseWhenHidden(enabled);
  }

  /** The other grids (coordinators added by URL), once the store is open. */
  get grids(): Grids | null {
    return this.#parts?.grids ?? null;
  }

  async setServed(project: string, serve: boolean): Promise<void> {
    await this.#parts?.computing.setServed(project, serve);
  }

  async setPauseOnBattery(enabled: boolean): Promise<void> {
    await this.#parts?.computing.setPauseOnBattery(enabled);
  }

  /** Each result this tab computes for a job that publishes its results (the picture panel paints them). */
  onOwnResult(listener: (r: OwnResult) => void): () => void {
    return this.#parts?.computing.onOwnResult(listener) ?? (() => undefined);
  }

  /** The coordinator this page talks to (the picture panel reads a job's published results from it). */
  get base(): string {
    return this.#base;
  }

  /** Submits what waits in the outbox now; `retry`: the results set aside too (listed with those not delivered). */
  async deliver(how?: 'retry'): Promise<void> {
    await this.#parts?.computing.deliver(how);
  }

  /** Fetches new receipts from the coordinator; each is stored only once it verifies. */
  async syncReceipts(): Promise<void> {
    await this.#parts?.receipts.sync();
  }

  /** Lists the newest `count` receipts (at least RECEIPTS_SHOWN). */
  async showReceipts(count: number): Promise<void> {
    await this.#parts?.receipts.show(count);
  }

  /** Re-checks every kept receipt against the coordinator's key and the log's current signed tree head. */
  async verifyAll(): Promise<AuditReport | null> {
    return (await this.#parts?.receipts.verifyAll()) ?? null;
  }

  /** The receipts file: every receipt of this identity with its proof and signed tree head. */
  async exportReceipts(): Promise<{ name: string; text: string } | null> {
    return (await this.#parts?.receipts.exportFile()) ?? null;
  }

  /** The wallet recomputed from the verified entries kept here, or null before there is a key and a log. */
  async wallet(): Promise<LocalWallet | null> {
    const view = this.#model.view();
    if (!this.#parts || !view.identity || !view.coordinatorKey) return null;
    return localWallet(this.#parts.store, view.identity.publicKey, view.coordinatorKey);
  }

  /** Opens this key's personal project (its credit pays for its jobs) and logs the dashboard of this tab in to it. */
  async openFundedProject(name: string): Promise<{ ok: true; project: string } | { ok: false; message: string }> {
    if (!this.#parts) return { ok: false, message: 'the page is still starting' };
    return openFundedProject(await this.#parts.computing.ensureVolunteer(), name);
  }

  async importReceipts(file: Blob, fileName: string): Promise<void> {
    await this.#parts?.receipts.importFile(file, fileName);
  }

  async backupKey(passphrase: string): Promise<{ name: string; text: string } | null> {
    return (await (await this.#keys())?.backup(passphrase)) ?? null;
  }

  async restoreKey(file: Blob, passphrase: string): Promise<boolean> {
    return (await (await this.#keys())?.restore(file, passphrase)) ?? false;
  }

  /** Key backup and restore, loaded; null, said, when their code could not be (the coordinator gone since the load). */
  async #keys(): Promise<KeyBackup | null> {
    try {
      return (await this.#parts?.keys()) ?? null;
    } catch (error) {
      this.#model.notify('error', 'Key backup unavailable', [(error as Error).message]);
      return null;
    }
  }

  dismiss(id: number): void {
    this.#model.dismiss(id);
  }

  // automation (headless farms)

  /** The runtime's live status and the coordinator's counters. */
  async live(): Promise<{ status: VolunteerStatus | null; stats: VolunteerStats | null }> {
    return (await this.#parts?.computing.live()) ?? { status: null, stats: null };
  }

  /** The coordinator's counters for this volunteer just before this page first computed, if they were read. */
  statsAtStart(): { validated: number; rejected: number; errors: number } | null {
    return this.#parts?.computing.statsAtStart() ?? null;
  }

  /** Submits what the outbox holds; true when it emptied within `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    return (await this.#parts?.computing.flush(timeoutMs)) ?? true;
  }

  async close(): Promise<void> {
    this.#connectivity.close();
    if (this.#projectsTimer) clearInterval(this.#projectsTimer);
    this.#stopBattery();
    this.#unwatchPeers();
    const parts = this.#parts;
    if (!parts) return;
    parts.receipts.close();
    parts.peers.leave();
    await Promise.all([parts.computing.close(2000), parts.grids.close()]);
    parts.store.close();
  }
}

/** `make`, called at the first call only; later calls get the same promise, unless it failed (then made again). */
/**
 * Stop. The rooms are left at the press, not once the units under way have finished: the page says it connects to
 * peers only from Start to Stop. Those units need no peer: their assets were fetched before they computed, and a
 * fetch still under way loses its links as the rooms go and takes the rest from the coordinator.
 */
export async function stopParts(parts: {
  readonly peers: { leave(): void };
  readonly computing: { stop(): Promise<void> };
  readonly grids: { stop(): Promise<void> };
}): Promise<void> {
  parts.peers.leave();
  await Promise.all([parts.computing.stop(), parts.grids.stop()]);
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => {
    made ??= make().catch((error: unknown) => {
      made = null;
      throw error;
    });
    return made;
  };
}
