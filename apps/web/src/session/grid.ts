// One more coordinator served from this tab (several grids): its public state, its own runtime volunteer
// (client, outbox, compute worker) for the tab's one key, and its receipts (grid-receipts.ts), kept in a database
// of its own and verified against the key first read from it. Nothing computes before start().
import type { GridSetting, StoredIdentity, VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { PublicApi } from '../api';
import { checkedApi } from './checked-api';
import { GridReceipts } from './grid-receipts';
import { AfterStop } from './grid-after-stop';
import { GridOutbox, type OutboxCount } from './grid-outbox';
import { gridDatabase } from './grid-address';
import { type GridView, hasWork, initialView } from './grid-view';
import type { OutboxNews } from './outbox-news';

/** How often a grid is asked for news: receipts and counters while computing, its health otherwise. */
const POLL_MS = 3_000;

/**
 * What a grid is given by the page rather than importing it, so that this lazily loaded code shares no module
 * with the page's first load (each shared one would become a chunk of its own, and the page heavier).
 */
export interface GridDeps {
  readonly publicApi: (base: string, fetcher: typeof fetch) => PublicApi;
  readonly openStore: (name: string) => Promise<VolunteerStore>;
  /** The other tabs' news of the outbox in `database`, and this tab's to them (outbox-news.ts). */
  readonly outboxNews: (database: string, heard: () => Promise<unknown>) => OutboxNews;
}

export interface GridOptions {
  readonly deps: GridDeps;
  readonly setting: GridSetting;
  /** The tab's one key (the home store's): every grid issues its own token for it. */
  readonly identity: () => Promise<StoredIdentity>;
  readonly pauseWhenHidden: () => boolean;
  readonly onChange: () => void;
  /** Receipts were kept (or the database opened): what waits of credit moved is counted again. */
  readonly onReceipts?: () => void;
  /** Results left its outbox (delivered, refused, or set aside), or another tab changed it: a leaving grid may be done. */
  readonly onSent?: () => void;
}

export class Grid {
  readonly #o: GridOptions;
  readonly api: PublicApi;
  #setting: GridSetting;
  #store: VolunteerStore | null = null;
  #volunteer: Volunteer | null = null;
  #creating: Promise<Volunteer> | null = null;
  #offState: () => void = () => undefined;
  #offVerified: () => void = () => undefined;
  #offSubmitted: () => void = () => undefined;
  #offGone: () => void = () => undefined;
  #inHand = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #started = false;
  /** The Stop under way, if one is. */
  #stopping: Promise<unknown> | null = null;
  /** When its polls sync after a Stop: receipts of what it sent may still come (grid-after-stop.ts). */
  readonly #afterStop = new AfterStop();
  #closed = false;
  /** Paused by the volunteer's settings (on battery): applied before a start, too. */
  #paused = false;
  /** The database opening (`open`): a Start given before it is done waits for it. */
  #opened: Promise<void> | null = null;
  /** A poll is under way (`#poll`). */
  #polling = false;
  readonly #receipts: GridReceipts;
  /**
   * Its key and projects were read since it last failed to answer: after an outage (or a page loaded while it was
   * down) they are read again as soon as it answers, computing or not.
   */
  #publicRead = false;
  /** The reading of its key and projects under way (`readPublic`): one at a time. */
  #readingPublic: Promise<void> | null = null;
  #view: GridView;
  readonly #outbox: GridOutbox;

  constructor(options: GridOptions) {
    this.#o = options;
    this.#setting = options.setting;
    this.api = checkedApi(options.deps.publicApi(options.setting.url, this.#fetch));
    this.#receipts = new GridReceipts({
      store: () => this.#store,
      grid: () => this.#setting,
      view: () => this.#view,
      set: (patch) => this.#set(patch),
      ...(options.onReceipts ? { onReceipts: options.onReceipts } : {}),
    });
    this.#view = initialView(options.setting);
    this.#outbox = new GridOutbox({
      url: () => this.#setting.url,
      database: () => this.database(),
      volunteer: () => this.#ensureVolunteer(),
      started: () => this.#started,
      deliveringStopped: () => this.#stoppedNow(),
      view: () => this.#view,
      set: (patch) => this.#set(patch),
      news: (heard) => options.deps.outboxNews(gridDatabase(options.setting.url), heard),
      changedElsewhere: () => this.#o.onSent?.(),
    });
  }

  get view(): GridView {
    return this.#view;
  }

  get setting(): GridSetting {
    return this.#setting;
  }

  /** Has work: started, answering, and holding work units (as of the last `readStatus`). */
  get busy(): boolean {
    return this.#started && this.#view.online === true && this.#inHand > 0 && hasWork(this.#view.state);
  }

  /** Reads what its pipeline holds now (for the shares). */
  async readStatus(): Promise<void> {
    const volunteer = this.#volunteer;
    if (!volunteer) return;
    const { counts } = await volunteer.status();
    this.#inHand = counts.leased - counts.computed - counts.failed;
  }

  /** Opens its database, shows what it kept, and reads its public state; computes nothing. */
  open(): Promise<void> {
    this.#opened ??= this.#open();
    return this.#opened;
  }

  async #open(): Promise<void> {
    this.#store = await this.#o.deps.openStore(gridDatabase(this.#setting.url));
    // Closed (forgotten, the page closing) while its database opened: nothing more is started for it.
    if (this.#closed) {
      this.#store.close();
      return;
    }
    await this.#receipts.readTotals();
    if (this.#closed) return;
    this.#timer = setInterval(() => void this.#poll(), POLL_MS);
    // Not awaited: a grid that does not answer must not hold up the page (or the other grids).
    void this.readPublic();
    // What it set aside before a reload is shown from the start, as the home grid's is (counted once open: not awaited
    // here, where the opening is not done).
    void this.#outbox.count().catch((error: Error) => console.warn(`grid ${this.#setting.url}: not counted`, error));
  }

  /** Its published key and projects; a failure only marks it offline. */
  readPublic(): Promise<void> {
    this.#readingPublic ??= this.#readPublic().finally(() => {
      this.#readingPublic = null;
    });
    return this.#readingPublic;
  }

  async #readPublic(): Promise<void> {
    try {
      const [known, projects] = await Promise.all([this.api.wellKnown(), this.api.projects()]);
      this.#publicRead = true;
      this.#set({
        keyChanged: known.publicKey === this.#setting.key ? null : known.publicKey,
        projects,
        honouredLogs: known.honouredLogs ?? null,
      });
    } catch (error) {
      console.warn(`grid ${this.#setting.url} did not answer`, error);
    }
  }

  update(setting: GridSetting): void {
    this.#setting = setting;
    this.#volunteer?.setProjects(setting.servedProjects);
    const leaving = setting.leaving === true;
    // Removed now: what it holds to deliver was counted at its opening, before it computed; "Removing: 0 results"
    // would show until it is counted again, so it shows as not counted.
    const recount = leaving && !this.#view.leaving ? { undelivered: null } : {};
    this.#set({ share: setting.share, servedProjects: setting.servedProjects, leaving, ...recount });
  }

  async start(): Promise<void> {
    if (this.#closed) return;
    this.#started = true;
    // A Stop under way (a Remove, then an Add at once) ends first: its volunteer, started meanwhile, would compute while
    // it reads stopped, out of reach of every later Stop.
    await this.settled();
    if (!this.#started || this.#closed) return;
    const volunteer = await this.#ensureVolunteer();
    // Stopped (or closed) while its volunteer was being made: that Stop holds.
    if (!this.#started || this.#closed) return;
    // Paused before it starts where the battery says so: it then examines the device and leases only once it may.
    if (this.#paused) volunteer.pause();
    await volunteer.start();
    void this.#poll();
  }

  async stop(): Promise<void> {
    const wasStarted = this.#started;
    this.#started = false;
    const stopping = Promise.resolve(this.#volunteer?.stop());
    this.#stopping = stopping;
    try {
      await stopping;
    } finally {
      if (this.#stopping === stopping) this.#stopping = null;
    }
    // Started again meanwhile: that Start holds, and its receipts are fetched as a computing grid's.
    if (!wasStarted || this.#started) return;
    this.#stoppedNow();
  }

  /** It stopped (or delivers while stopped): receipts of what it sent are fetched from now on as after a Stop. */
  #stoppedNow(): void {
    this.#afterStop.stopped(Date.now());
    this.#receipts.forgetPending();
  }

  /**
   * Resolves once no Stop is under way: a stopping volunteer may still put the result of the unit in its worker into
   * the outbox, so what the outbox holds is judged after it (grids-leaving.ts).
   */
  async settled(): Promise<void> {
    while (this.#stopping) await this.#stopping.catch(() => undefined);
  }

  /**
   * Delivers what its outbox kept from before a reload or a browser restart (grid-outbox.ts); their receipts are then
   * fetched as after a Stop.
   */
  deliverKept(): Promise<void> {
    return this.#outbox.deliverKept();
  }

  setDuty(duty: number): void {
    this.#volunteer?.setThrottle(duty);
    if (this.#view.duty !== duty) this.#set({ duty });
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (paused) this.#volunteer?.pause();
    else this.#volunteer?.resume();
  }

  setPauseWhenHidden(enabled: boolean): void {
    this.#volunteer?.setPauseWhenHidden(enabled);
  }

  /** Lets go of a volunteer bound to another key (a restored backup); the next Start makes one for the new key. */
  async retire(keepKey: string): Promise<void> {
    const old = this.#volunteer;
    if (!old || old.id === keepKey) return;
    this.#volunteer = null;
    this.#offState();
    this.#offVerified();
    this.#offSubmitted();
    this.#offGone();
    // Its outbox stays: the next volunteer of this grid delivers what the old key computed, as the home grid does.
    await old.close(2000);
  }

  /** Stops, delivers what it can within `timeoutMs`, and closes its database (which stays, with its receipts). */
  async close(timeoutMs = 2000): Promise<void> {
    this.#closed = true;
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    await this.#volunteer?.close(timeoutMs);
    this.#outbox.closeNews();
    this.#store?.close();
  }

  /** Every request to the grid goes through here: it tells online from offline. */
  readonly #fetch: typeof fetch = async (input, init) => {
    try {
      const response = await fetch(input, init);
      if (this.#view.online !== true) {
        this.#set({ online: true });
        // Back: deliver what waited without sitting out the submitter's backoff, and show its projects again
        // (a computing grid's polls only sync receipts, so nothing else would read them).
        if (this.#volunteer) {
          this.#volunteer.coordinatorBack();
          void this.#volunteer.flush(15_000);
        }
        if (!this.#publicRead) void this.readPublic();
      }
      return response;
    } catch (error) {
      this.#publicRead = false;
      if (this.#view.online !== false) this.#set({ online: false });
      throw error;
    }
  };

  /** Counts what its outbox holds now, results to deliver and set aside (both shown). */
  countOutbox(): Promise<OutboxCount> {
    return this.#outbox.count();
  }

  /**
   * Puts the results set aside back into delivery and delivers them (grid-outbox.ts). Its volunteer is made if there
   * is none, with the tab's key: the caller makes sure there is one.
   */
  retrySetAside(): Promise<number> {
    return this.#outbox.retrySetAside();
  }

  /** Its database, once open. */
  async database(): Promise<VolunteerStore> {
    await this.open();
    if (!this.#store) throw new Error('the grid is not open');
    return this.#store;
  }

  /** Its volunteer for the tab's key, made (not started) if there is none yet: credit moves ask in its name. */
  volunteer(): Promise<Volunteer> {
    return this.#ensureVolunteer();
  }

  /**
   * Reads its new receipts now, computing or not (a move of credit ends with one there), on until none is left: the
   * entry wanted is the newest, behind every receipt not fetched yet.
   */
  async syncReceipts(): Promise<void> {
    const volunteer = await this.#ensureVolunteer();
    // Bounded: a grid this key computes for earns receipts all the while, and its polls go on syncing.
    for (let rounds = 0; rounds < 20 && (await this.#receipts.sync(volunteer)); rounds++);
  }

  #ensureVolunteer(): Promise<Volunteer> {
    if (this.#volunteer) return Promise.resolve(this.#volunteer);
    this.#creating ??= this.#create().finally(() => {
      this.#creating = null;
    });
    return this.#creating;
  }

  async #create(): Promise<Volunteer> {
    // Shown as soon as it is added, the grid may be started before its database is open (a Start pressed right
    // after the page loaded, on a busy machine): that Start waits for it rather than failing.
    await this.#opened;
    const store = this.#store;
    if (!store) throw new Error('the grid is not open');
    const identity = await this.#o.identity();
    const { projectKeys } = await store.settings();
    const kept = new Set(Object.keys(projectKeys));
    const { createVolunteer } = await import('@bricolage/runtime');
    const volunteer = await createVolunteer({
      coordinator: this.#setting.url,
      identity: { publicKeyText: identity.publicKey, privateKey: identity.privateKey },
      outbox: this.#outbox.announcing(store.outbox),
      throttle: this.#view.duty ?? 1,
      pauseWhenHidden: this.#o.pauseWhenHidden(),
      projects: this.#setting.servedProjects,
      projectKeys: new Map(Object.entries(projectKeys)),
      fetch: this.#fetch,
    });
    // Removed while it was being made (the runtime's code still loading): it goes at once, having sent nothing.
    if (this.#closed) {
      await volunteer.close(0);
      throw new Error('the grid was removed');
    }
    this.#offState = volunteer.on('state', (e) => this.#set({ state: e.state }));
    // A Stop only starts delivering what it holds, and an outage delays it further: results delivered while stopped
    // may wait for a quorum however few the grid counted before, and their receipts are fetched from then on.
    this.#offSubmitted = volunteer.on('submitted', () => {
      if (!this.#started && this.#afterStop.delivered(Date.now())) this.#receipts.forgetPending();
      this.#o.onSent?.();
    });
    this.#offGone = this.#outbox.follow(volunteer, () => this.#o.onSent?.());
    // Each project's key as first verified, kept in this grid's database for later visits (as the home grid's; in one
    // transaction, beside what other tabs keep there).
    this.#offVerified = volunteer.on('verified', (e) => {
      if (e.signer === null || kept.has(e.project)) return;
      kept.add(e.project);
      void store.keepProjectKey(e.project, e.signer).catch(() => undefined);
    });
    this.#volunteer = volunteer;
    return volunteer;
  }

  async #poll(): Promise<void> {
    // One at a time: on a busy machine a sync (verifying pages of receipts) outlasts the interval, and syncs
    // started side by side would each verify the same receipts again, none of them getting anywhere.
    if (this.#closed || this.#polling) return;
    this.#polling = true;
    try {
      const now = Date.now();
      const after = !this.#started && this.#afterStop.due(now, this.#receipts.pending, this.#paused);
      const volunteer = this.#started || after ? this.#volunteer : null;
      if (after && volunteer) this.#afterStop.synced(now);
      // Its key and projects while it answers but they are unread (the last reading got an error back); and,
      // while it does not compute, the check of whether it answers at all.
      if (this.#view.online === true ? !this.#publicRead : !volunteer) await this.readPublic();
      if (volunteer) await this.#receipts.sync(volunteer);
    } catch (error) {
      void error; // Offline, or a refused request: `#fetch` has recorded which; the next poll asks again.
    } finally {
      this.#polling = false;
    }
  }

  #set(patch: Partial<GridView>): void {
    this.#view = { ...this.#view, ...patch };
    this.#o.onChange();
  }
}
