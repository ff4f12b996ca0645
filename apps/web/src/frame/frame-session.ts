// The widget frame's session: the same view model, connectivity, computing and receipt sync as the volunteer
// page (apps/web/src/session/), composed around one more fact, the reader's consent for this host site.
// Nothing computes, and no volunteer request is made, until the reader has said yes inside this frame.
import type { FrameStatus, HostCommand, WidgetState } from '@bricolage/protocol/widget';
import { exportReceipts, heldTotals, signReceiptsFile, VolunteerStore } from '@bricolage/receipts';
import { watchBattery } from '../battery';
import { Computing } from '../session/computing';
import { Connectivity } from '../session/connectivity';
import { ReceiptSync } from '../session/receipt-sync';
import { identityView, type Phase, type View, ViewModel } from '../session/view';
import type { FrameVisibility } from './in-view';

/** The widget's default share of the device: a quarter of one core's time. */
export const WIDGET_THROTTLE = 25;

export interface FrameOptions {
  readonly base: string;
  readonly project: string;
  readonly host: string;
  readonly visibility: FrameVisibility;
}

/** One database per host site, whatever the browser's storage partitioning: a key, receipts and consent each. */
export const frameDatabase = (host: string) => `bricolage-widget ${host}`;

/**
 * Whether this frame may keep anything. A browser that blocks third-party cookies (Chromium's phase-out, Safari,
 * Firefox's strict mode, every private window) also refuses a cross-site frame its storage, partitioned or not.
 * Probed with the bare API, before idb caches the browser's IndexedDB classes.
 */
function storageAllowed(): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const request = indexedDB.open('bricolage-widget-probe');
      request.onsuccess = () => {
        request.result.close();
        // Nothing of the probe stays behind: before the reader's yes, the frame keeps nothing it need not.
        indexedDB.deleteDatabase('bricolage-widget-probe');
        resolve(true);
      };
      request.onerror = () => resolve(false);
    } catch (error) {
      console.warn('IndexedDB unavailable here', error);
      resolve(false);
    }
  });
}

/**
 * This site's database: IndexedDB when the browser lets this frame keep one (partitioned by the top site), else
 * the same database in memory for as long as the page stays open, so that the one code path still runs.
 */
async function openStore(host: string): Promise<{ store: VolunteerStore; persistent: boolean }> {
  const persistent = await storageAllowed();
  if (!persistent) await import('fake-indexeddb/auto');
  return { store: await VolunteerStore.open(frameDatabase(host)), persistent };
}

const STATE_OF: Record<Phase, WidgetState> = {
  loading: 'starting',
  starting: 'starting',
  computing: 'computing',
  waiting: 'waiting',
  paused: 'paused',
  offline: 'offline',
  idle: 'stopped',
  stopping: 'stopped',
  stopped: 'stopped',
  failed: 'failed',
};

interface Parts {
  readonly store: VolunteerStore;
  computing: Computing;
  readonly receipts: ReceiptSync;
}

export class FrameSession {
  readonly model = new ViewModel();
  readonly #o: FrameOptions;
  readonly #connectivity: Connectivity;
  #parts: Parts | null = null;
  #consented = false;
  /** Whether #consented has been read from the database yet: until then nothing is said about consent. */
  #consentKnown = false;
  #persistent = true;
  /** Withdrawn (or declined) in this frame, and forgotten in the database. */
  #revoked = false;
  #revoking = false;
  /** The reader pressed Stop in this page view: the host may not start it again, only the reader's Start again. */
  #stoppedByReader = false;
  #stopBattery: Promise<() => void> | null = null;
  #refused: ((command: string, reason: string) => void) | null = null;

  constructor(options: FrameOptions) {
    this.#o = options;
    this.#connectivity = new Connectivity({
      base: options.base,
      model: this.model,
      onBack: () => {
        this.#parts?.computing.coordinatorBack();
        if (this.#parts) void this.#connectivity.readKeyAgain(this.#parts.store);
      },
    });
  }

  get consented(): boolean {
    return this.#consented;
  }

  /** False when this browser keeps nothing for embedded sites: then consent, key and receipts last this page view. */
  get persistent(): boolean {
    return this.#persistent;
  }

  /** Opens this site's database and reads the coordinator's public state; computes only if the reader said yes before. */
  async boot(): Promise<void> {
    const model = this.model;
    const connectivity = this.#connectivity;
    const discovery = connectivity.publishedKey();
    const projects = connectivity.loadProjects();
    let store: VolunteerStore;
    try {
      const opened = await openStore(this.#o.host);
      store = opened.store;
      this.#persistent = opened.persistent;
    } catch (error) {
      model.set({
        fatal: `This browser would not open the widget's database (IndexedDB): ${(error as Error).message}`,
      });
      return;
    }
    const receipts: ReceiptSync = new ReceiptSync({
      model,
      store,
      api: connectivity.api,
      // Only while the reader's yes stands: a sync scheduled while computing must not sign in after a withdrawal.
      volunteer: async () => (this.#consented ? parts.computing.ensureVolunteer() : null),
    });
    const parts: Parts = { store, receipts, computing: this.#newComputing(store, receipts) };
    this.#parts = parts;
    const [settings, identity] = await Promise.all([store.settings(), store.identity()]);
    this.#consented = settings.consentedAt !== null;
    this.#consentKnown = true;
    // A reader new to this site starts at the widget's default; one who chose otherwise here keeps that.
    model.set({
      settings: identity ? settings : { ...settings, throttle: WIDGET_THROTTLE },
      identity: identity ? await identityView(identity) : null,
    });
    await Promise.all([receipts.refresh(), connectivity.adoptCoordinatorKey(store, await discovery), projects]);
    receipts.syncPeriodically();
    this.#stopBattery = watchBattery((battery) => {
      model.set({ battery });
      this.#parts?.computing.applyBattery();
    });
    model.set({ booted: true });
    performance.mark('bricolage:ready');
    if (this.#consented) await this.start();
  }

  #newComputing(store: VolunteerStore, receipts: ReceiptSync): Computing {
    return new Computing({
      base: this.#o.base,
      project: this.#o.project,
      model: this.model,
      store,
      fetch: this.#connectivity.fetch,
      syncSoon: receipts.schedule,
      reloadProjects: () => this.#connectivity.loadProjects(),
      visibility: this.#o.visibility,
    });
  }

  /** The reader's yes, given by a click inside this frame: remembered for this site, and computing starts. */
  async consent(): Promise<void> {
    const parts = this.#parts;
    if (!parts) return;
    await parts.store.saveSettings({ consentedAt: Date.now(), throttle: this.model.view().settings.throttle });
    this.#consented = true;
    this.#revoked = false;
    this.#stoppedByReader = false;
    await this.start();
  }

  /** The reader's no before ever starting: nothing to undo, the host folds the card back. */
  decline(): void {
    this.#revoked = true;
    this.model.set({});
  }

  async start(): Promise<void> {
    if (!this.#consented) return;
    // A Stop (the reader's or the host's) while this start is under way is obeyed: Computing keeps the latest.
    await this.#parts?.computing.start();
  }

  /** Stops at once: the work unit in the worker is abandoned (its lease expires and it is issued again). */
  async stop(): Promise<void> {
    await this.#parts?.computing.stop('now');
  }

  /** The reader's Stop in the card: the host's script cannot undo it (a yes is not a yes to being restarted). */
  async stopByReader(): Promise<void> {
    this.#stoppedByReader = true;
    await this.stop();
  }

  /** The reader's Start again in the card. */
  async startByReader(): Promise<void> {
    this.#stoppedByReader = false;
    await this.start();
  }

  /**
   * Withdraws consent for this site: forgotten first (so a reload runs nothing even if this tab dies now), while
   * the volunteer and its worker are closed. Results already computed stay in the outbox for a later yes.
   */
  async revoke(): Promise<void> {
    const parts = this.#parts;
    this.#consented = false;
    this.#revoking = true;
    try {
      if (parts) {
        const closing = parts.computing.close(0);
        await Promise.all([parts.store.saveSettings({ consentedAt: null }), closing]);
        parts.computing = this.#newComputing(parts.store, parts.receipts);
      }
      // Only now does the host hear of it: it may remove this frame, which would cut a write still under way.
      this.#revoked = true;
    } finally {
      this.#revoking = false;
      this.model.set({ runtimeState: 'idle', current: null });
    }
  }

  async setThrottle(percent: number): Promise<void> {
    await this.#parts?.computing.setThrottle(percent);
  }

  /**
   * What the host may ask: start only with the reader's yes on this site (and not while it is being withdrawn), and
   * not after the reader pressed Stop in this page view; stop always.
   */
  command(command: Exclude<HostCommand, { type: 'bricolage:get-status' }>): void {
    if (command.type === 'bricolage:stop') void this.stop();
    else if (!this.#consented) this.#refused?.(command.type, 'the reader has not agreed to compute on this site');
    else if (this.#stoppedByReader)
      this.#refused?.(command.type, 'the reader stopped computing here; only they can start it again');
    else void this.start();
  }

  onRefused(listener: (command: string, reason: string) => void): void {
    this.#refused = listener;
  }

  /** What the host page may know: the state and counts, nothing that identifies the reader. */
  status(view: View = this.model.view()): FrameStatus {
    // Credited: the receipts of work that still verify (one whose later re-check failed credits nothing).
    const held = heldTotals(view.totals);
    return {
      type: 'bricolage:status',
      state: view.fatal
        ? 'failed'
        : !this.#consentKnown
          ? 'starting'
          : this.#revoked
            ? 'revoked'
            : this.#revoking
              ? 'stopped'
              : !this.#consented
                ? 'consent'
                : STATE_OF[view.phase],
      pauseReason: view.pauseReason,
      computed: view.session?.computed ?? 0,
      credited: held.receipts,
      credit: held.credit,
      // Only a yes read from the database is one to remember: before it is read, or without one, there is none.
      remembered: this.#persistent && this.#consented,
    };
  }

  async close(): Promise<void> {
    this.#connectivity.close();
    (await this.#stopBattery)?.();
    const parts = this.#parts;
    if (!parts) return;
    parts.receipts.close();
    await parts.computing.close(0);
    parts.store.close();
  }

  /** This site's receipts in a file signed with this site's key, for the volunteer page's Import. */
  async exportReceipts(): Promise<{ name: string; text: string } | null> {
    const parts = this.#parts;
    const { coordinatorKey } = this.model.view();
    const identity = await parts?.store.identity();
    if (!parts || !identity || !coordinatorKey) return null;
    const file = exportReceipts(await parts.store.receipts(), coordinatorKey, identity.publicKey);
    const signed = await signReceiptsFile(file, identity.privateKey);
    const site = new URL(this.#o.host).hostname;
    return {
      name: `bricolage-receipts-${site}-${new Date().toISOString().slice(0, 10)}.json`,
      text: `${JSON.stringify(signed, null, 1)}\n`,
    };
  }
}
