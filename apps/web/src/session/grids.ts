// Several grids in one tab: the coordinators the volunteer added by URL besides the one that served the page
// (the home grid), kept in the home store's settings, each run as a `Grid`, and the volunteer's throttle split
// between them all by their resource shares (`dutyShares`). Nothing computes for any of them before Start. A grid
// removed while its outbox holds results is kept, leaving, until it has delivered them (`remove`, grids-leaving.ts).
import type { GridSetting, StoredIdentity, VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { checkedApi } from './checked-api';
import { Grid, type GridDeps } from './grid';
import { gridOrigin } from './grid-address';
import { hasWork } from './grid-view';
import type { GridView } from './grid-view';
import { type GridMoves, type MoveDirection, Moves } from './grid-moves';
import { Leaving } from './grids-leaving';
import { holdingResults, retrySetAside } from './grids-outboxes';
import { dutyShares } from './shares';
import type { ViewModel } from './view';

// Given to each grid (GridDeps) and to the home grid's computing: loaded with the grids' code, which the page awaits
// before it counts any outbox, so that its first load carries none of it.
export { outboxNews } from './outbox-news';

const REBALANCE_MS = 500;
export const HOME = 'home';

export interface GridsView {
  readonly grids: readonly GridView[];
  readonly homeShare: number;
  /** Adding a grid: reading its key and projects. */
  readonly adding: boolean;
  /** Why the last grid could not be added. */
  readonly error: string | null;
  /** Credit moved, or moving, between the home grid and each other grid (by its URL). */
  readonly moves: Readonly<Record<string, GridMoves>>;
}

export interface GridsOptions extends GridDeps {
  /** The home grid's origin (the page's). */
  readonly home: string;
  readonly store: VolunteerStore;
  readonly model: ViewModel;
  /** The home grid's volunteer for the tab's key (made, not started, if there is none yet). */
  readonly homeVolunteer: () => Promise<Volunteer>;
  /** Reads the home grid's new receipts now. */
  readonly syncHome: () => Promise<void>;
  /** Sets the home volunteer's duty cycle (its pipeline only: the volunteer's throttle setting stays). */
  readonly setHomeDuty: (duty: number) => void;
  /**
   * Whether the volunteer's settings pause computing now, on battery (`pausedOnBattery`; passed in, not imported:
   * a value imported from the page's chunk into this one cost the page's load 344 B gzip).
   */
  readonly onBattery: () => boolean;
}

export class Grids {
  readonly #o: GridsOptions;
  readonly #grids = new Map<string, Grid>();
  readonly #listeners = new Set<() => void>();
  #view: GridsView = { grids: [], homeShare: 100, adding: false, error: null, moves: {} };
  /** The home grid's receipt totals as last seen: when they change, what waits is counted again. */
  #homeTotals: unknown = null;
  #unwatchHome: () => void = () => undefined;
  #started = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  #rebalancing = false;
  #closed = false;
  readonly #moves: Moves;
  readonly #leavingGrids = new Leaving({
    leaving: (grid) => this.#leaving(grid),
    forget: (grid, timeoutMs) => this.#forget(grid, timeoutMs),
  });

  constructor(options: GridsOptions) {
    this.#o = options;
    this.#moves = new Moves({
      ...options,
      // A leaving grid moves no credit: what moved or waits to be credited was forgotten when it was removed.
      grid: (url) => {
        const grid = this.#grids.get(url);
        return grid?.setting.leaving ? undefined : grid;
      },
      onChange: (moves) => this.#set({ moves }),
    });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly view = (): GridsView => this.#view;

  /** Opens the grids kept in the settings: their databases and public state. Computes nothing. */
  async boot(): Promise<void> {
    const { grids, homeShare } = this.#o.model.view().settings;
    this.#set({ homeShare });
    await Promise.all(grids.map((setting) => this.#open(setting)));
    // Results computed before a reload or a browser restart are delivered now, as the home grid's are (a key exists
    // when there are any: none is made here).
    const keyed = (await this.#o.store.identity()) !== null;
    if (keyed) for (const grid of this.#serving()) void grid.deliverKept();
    // Grids removed with results still to deliver when the page was left: they go on delivering them (with no key
    // here, none is made: they are only counted, and forgotten if nothing is left).
    for (const grid of this.#grids.values())
      if (grid.setting.leaving) void (keyed ? this.#leavingGrids.deliver(grid) : this.#leavingGrids.leftNothing(grid));
    // The home grid's receipts kept (a sync's page, an import of a file): what waits is counted again.
    this.#homeTotals = this.#o.model.view().totals;
    this.#unwatchHome = this.#o.model.subscribe(() => {
      const { totals } = this.#o.model.view();
      if (totals === this.#homeTotals) return;
      this.#homeTotals = totals;
      this.#readAllMoves();
    });
  }

  /**
   * Moves `amount` of the volunteer's credit between the home grid and the grid at `url`; true when it moved. Then,
   * in the background, reads both grids' receipts (the export, the import), from which what waits is counted.
   */
  move(url: string, direction: MoveDirection, amount: number): Promise<boolean> {
    return this.#moves.move(url, direction, amount);
  }

  /** Presents again what was moved to or from the grid at `url` and not credited at the other end. */
  creditWaiting(url: string, direction: MoveDirection): Promise<void> {
    return this.#moves.creditWaiting(url, direction);
  }

  /**
   * Adds the coordinator at `text`: reads its key (kept from now on) and projects, then serves it. A grid still
   * leaving (removed, delivering what it holds) is served again as it was, with its key, share and projects.
   */
  async add(text: string): Promise<boolean> {
    const url = gridOrigin(text);
    if (url === null) return this.#refuse('That is not an http(s) address.');
    if (url === new URL(this.#o.home).origin) return this.#refuse('That is the coordinator this page came from.');
    const here = this.#grids.get(url);
    if (here?.setting.leaving) return this.#serveAgain(here);
    if (here) return this.#refuse('That grid is already here.');
    this.#set({ adding: true, error: null });
    try {
      const known = await checkedApi(this.#o.publicApi(url, fetch)).wellKnown();
      if (known.publicKey === '') return this.#refuse(`${url} publishes no key.`);
      // The same coordinator under another name (127.0.0.1 for localhost, a second domain): a second pipeline
      // would lease from it with the same key, and the same credit would show twice.
      const { coordinatorKey, settings } = this.#o.model.view();
      if (known.publicKey === coordinatorKey || known.publicKey === settings.coordinatorKey)
        return this.#refuse('That is the coordinator this page came from.');
      const same = this.#settings().find((s) => s.key === known.publicKey);
      if (same?.leaving) return this.#refuse(`That grid is being removed, as ${same.url}: add ${same.url} to keep it.`);
      if (same) return this.#refuse(`That grid is already here, as ${same.url}.`);
      const setting: GridSetting = { url, key: known.publicKey, share: 100, servedProjects: null };
      await this.#save([...this.#settings(), setting]);
      await this.#startIfServed(await this.#open(setting));
      return true;
    } catch (error) {
      return this.#refuse(`${url} did not answer as a coordinator: ${(error as Error).message}`);
    } finally {
      this.#set({ adding: false });
    }
  }

  /**
   * Stops serving a grid: it computes no more (as at a Stop: it gives back its leases and sends what it has). With
   * results in its outbox (to deliver, or set aside) it stays, leaving, delivering them, and is forgotten once none is
   * left; with none it is forgotten now. Its database (receipts) stays in the browser.
   */
  async remove(url: string): Promise<void> {
    const grid = this.#grids.get(url);
    if (!grid || grid.setting.leaving) return;
    // Kept as leaving before it stops: a page left from here on goes on delivering at its next load.
    await this.#change(url, (s) => ({ ...s, leaving: true }));
    // Added again while that was saved: the Add came last and holds (a Stop now would leave it served but stopped).
    if (!this.#leaving(grid)) return;
    this.#moves.forget(url);
    this.#homeAlone();
    await grid.stop();
    await this.#leavingGrids.deliver(grid);
  }

  /**
   * Forgets the grid at `url` now, leaving or not: nothing more is sent to it, and the results its outbox holds, to
   * deliver or set aside, are not delivered (they stay in its database, with its receipts).
   */
  async forget(url: string): Promise<void> {
    const grid = this.#grids.get(url);
    if (grid) await this.#forget(grid, 0);
  }

  /** Puts the results the grid at `url` set aside back into delivery (grids-outboxes.ts). */
  async retrySetAside(url: string): Promise<void> {
    const grid = this.#grids.get(url);
    if (grid) await retrySetAside(grid, this.#o.store, this.#o.model);
  }

  /** A grid's share (`HOME` for the home grid): a positive integer weight. */
  async setShare(url: string, share: number): Promise<void> {
    const weight = Math.max(1, Math.min(10_000, Math.round(share)));
    if (!Number.isFinite(weight)) return;
    if (url === HOME) {
      this.#set({ homeShare: weight });
      await this.#o.store.saveSettings({ homeShare: weight });
    } else await this.#change(url, (s) => ({ ...s, share: weight }));
    if (this.#started) void this.#rebalance();
  }

  async setServed(url: string, project: string, serve: boolean): Promise<void> {
    const grid = this.#grids.get(url);
    if (!grid) return;
    await this.#change(url, (s) => {
      const current = s.servedProjects ?? grid.view.projects.map((p) => p.id as string);
      const servedProjects = serve ? [...new Set([...current, project])] : current.filter((p) => p !== project);
      return { ...s, servedProjects };
    });
  }

  setPauseWhenHidden(enabled: boolean): void {
    for (const grid of this.#grids.values()) grid.setPauseWhenHidden(enabled);
  }

  /** The volunteer pressed Start: every grid served computes from now on (a leaving one does not). */
  async start(): Promise<void> {
    this.#started = true;
    this.#timer ??= setInterval(() => void this.#rebalance(), REBALANCE_MS);
    void this.#rebalance();
    await Promise.all(this.#serving().map((g) => this.#startGrid(g)));
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.all([...this.#grids.values()].map((g) => g.stop()));
  }

  /** The grids whose outboxes hold results, to be delivered under the key that computed them (leaving ones too). */
  async waiting(): Promise<string[]> {
    return holdingResults([...this.#grids.values()]);
  }

  /** Retires every grid's volunteer bound to another key than `keepKey` (a restored key backup). */
  async retire(keepKey: string): Promise<void> {
    await Promise.all([...this.#grids.values()].map((g) => g.retire(keepKey)));
    // What waits is the restored key's now.
    this.#readAllMoves();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#unwatchHome();
    await Promise.all([...this.#grids.values()].map((g) => g.close()));
  }

  /** The shares applied to every pipeline; with no other grid the home one keeps the whole throttle as before. */
  async #rebalance(): Promise<void> {
    const grids = this.#serving();
    if (grids.length === 0 || this.#rebalancing) return;
    this.#rebalancing = true;
    try {
      await Promise.all(grids.map((g) => g.readStatus()));
      const { settings, runtimeState, inHand } = this.#o.model.view();
      const demands = [
        { id: HOME, share: this.#view.homeShare, busy: inHand > 0 && hasWork(runtimeState) },
        ...grids.map((g) => ({ id: g.setting.url, share: g.setting.share, busy: g.busy })),
      ];
      const duties = dutyShares(settings.throttle / 100, demands);
      this.#o.setHomeDuty(duties.get(HOME) ?? 1);
      for (const grid of grids) {
        grid.setDuty(duties.get(grid.setting.url) ?? 0);
        grid.setPaused(this.#o.onBattery());
      }
    } finally {
      this.#rebalancing = false;
    }
  }

  /** One grid failing to start (its worker, its first request) must not stop the others, nor the home grid. */
  async #startGrid(grid: Grid): Promise<void> {
    try {
      grid.setPaused(this.#o.onBattery());
      await grid.start();
    } catch (error) {
      console.warn(`could not start computing for ${grid.setting.url}`, error);
      this.#o.model.notify('error', `Could not start computing for ${grid.setting.url}`, [(error as Error).message]);
    }
  }

  async #open(setting: GridSetting): Promise<Grid> {
    const grid: Grid = new Grid({
      deps: this.#o,
      setting,
      identity: () => this.#identity(),
      pauseWhenHidden: () => this.#o.model.view().settings.pauseWhenHidden,
      onChange: () => this.#publish(),
      onReceipts: () => void this.#moves.read(setting.url),
      // Results its volunteer sent, or another tab's news of its outbox: a leaving grid may be done.
      onSent: () => void this.#leavingGrids.leftNothing(grid),
    });
    this.#grids.set(setting.url, grid);
    this.#publish();
    await grid.open();
    return grid;
  }

  /** A leaving grid added again: served as before (started if the others are). */
  async #serveAgain(grid: Grid): Promise<true> {
    this.#set({ error: null });
    await this.#change(grid.setting.url, ({ leaving: _, ...setting }) => setting);
    void this.#moves.read(grid.setting.url);
    await this.#startIfServed(grid);
    return true;
  }

  /** Starts a grid added (again) if the others compute, unless it was removed while its setting was saved. */
  async #startIfServed(grid: Grid): Promise<void> {
    const served = !this.#closed && !grid.setting.leaving && this.#grids.get(grid.setting.url) === grid;
    if (this.#started && served) await this.#startGrid(grid);
  }

  /** Whether `grid` is still listed here, leaving (not added again, nor forgotten, since). */
  #leaving(grid: Grid): boolean {
    return !this.#closed && grid.setting.leaving === true && this.#grids.get(grid.setting.url) === grid;
  }

  async #forget(grid: Grid, timeoutMs: number): Promise<void> {
    const { url } = grid.setting;
    if (this.#grids.get(url) !== grid) return;
    this.#grids.delete(url);
    this.#moves.forget(url);
    await this.#save(this.#settings());
    this.#publish();
    this.#homeAlone();
    await grid.close(timeoutMs);
  }

  /** No other grid served: the home pipeline has the whole throttle again (rebalancing skips, with none). */
  #homeAlone(): void {
    if (this.#serving().length === 0) this.#o.setHomeDuty(this.#o.model.view().settings.throttle / 100);
  }

  /** The grids served: not leaving. They compute after Start and share the throttle. */
  #serving(): Grid[] {
    return [...this.#grids.values()].filter((g) => !g.setting.leaving);
  }

  #readAllMoves(): void {
    for (const grid of this.#serving()) void this.#moves.read(grid.setting.url);
  }

  /** The tab's one key, made on the first Start like the home grid's (the same record). */
  async #identity(): Promise<StoredIdentity> {
    return this.#o.store.ensureIdentity();
  }

  #settings(): GridSetting[] {
    return [...this.#grids.values()].map((g) => g.setting);
  }

  async #change(url: string, change: (s: GridSetting) => GridSetting): Promise<void> {
    const grid = this.#grids.get(url);
    if (!grid) return;
    grid.update(change(grid.setting));
    await this.#save(this.#settings());
  }

  async #save(grids: readonly GridSetting[]): Promise<void> {
    const { model, store } = this.#o;
    model.set({ settings: { ...model.view().settings, grids } });
    await store.saveSettings({ grids });
  }

  #refuse(error: string): false {
    this.#set({ error });
    return false;
  }

  #publish(): void {
    this.#set({ grids: [...this.#grids.values()].map((g) => g.view) });
  }

  #set(patch: Partial<GridsView>): void {
    this.#view = { ...this.#view, ...patch };
    for (const listener of this.#listeners) listener();
  }
}
