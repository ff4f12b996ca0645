// Several grids in one tab: the coordinators the volunteer added by URL besides the one that served the page
// (the home grid), kept in the home store's settings, each run as a `Grid`, and the volunteer's throttle split
// between them all by their resource shares (`dutyShares`). Nothing computes for any of them before Start.
import type { GridSetting, StoredIdentity, VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { checkedApi } from './checked-api';
import { type CreditSide, creditWaiting, type MoveOutcome, moveCredit, waitingMoves } from './credit-moves';
import { Grid, type GridDeps, type GridView, gridOrigin, hasWork } from './grid';
import { dutyShares } from './shares';
import type { ViewModel } from './view';

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

/** Which way credit moves: out of the home grid to the other one, or back. */
export type MoveDirection = 'toGrid' | 'toHome';

export interface GridMoves {
  /** Credit moved out of the home grid (of the other grid) that the other grid (the home grid) has not credited. */
  readonly waitingToGrid: number;
  readonly waitingToHome: number;
  /** A move, or the presenting of what waits, is under way. */
  readonly busy: boolean;
  /** What the last one did, or why it failed. */
  readonly message: string | null;
  readonly failed: boolean;
  /**
   * A move whose export got no answer: it may have moved. Moving the same amount the same way again sends the same
   * request (its id), which moves at most once; what did move shows as waiting once the sending grid's receipts are read.
   */
  readonly unsure: { readonly direction: MoveDirection; readonly amount: number; readonly requestId: string } | null;
}

const NO_MOVES: GridMoves = {
  waitingToGrid: 0,
  waitingToHome: 0,
  busy: false,
  message: null,
  failed: false,
  unsure: null,
};

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

  constructor(options: GridsOptions) {
    this.#o = options;
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
  async move(url: string, direction: MoveDirection, amount: number): Promise<boolean> {
    const unsure = this.#moves(url).unsure;
    const requestId =
      unsure && unsure.direction === direction && unsure.amount === amount ? unsure.requestId : crypto.randomUUID();
    const outcome = await this.#moving(url, direction, (from, to) => moveCredit(from, to, amount, requestId));
    if (!outcome) return false;
    this.#setMoves(url, { unsure: !outcome.ok && outcome.unsure ? { direction, amount, requestId } : null });
    return outcome.ok;
  }

  /** Presents again what was moved to or from the grid at `url` and not credited at the other end. */
  async creditWaiting(url: string, direction: MoveDirection): Promise<void> {
    await this.#moving(url, direction, async (from, to, volunteer) =>
      creditWaiting(await waitingMoves(from, to, volunteer), to),
    );
  }

  async #moving(
    url: string,
    direction: MoveDirection,
    act: (from: CreditSide, to: CreditSide, volunteer: string) => Promise<MoveOutcome>,
  ): Promise<MoveOutcome | null> {
    const grid = this.#grids.get(url);
    // Busy before anything is awaited: a second press meanwhile does nothing.
    if (!grid || this.#moves(url).busy) return null;
    this.#setMoves(url, { busy: true, message: null, failed: false });
    let outcome: MoveOutcome;
    try {
      const sides = await this.#sides(grid);
      const identity = await this.#o.store.identity();
      if (!sides || !identity) outcome = { ok: false, message: 'This coordinator’s key, or yours, is not known yet.' };
      else {
        const [from, to] = direction === 'toGrid' ? [sides.home, sides.grid] : [sides.grid, sides.home];
        outcome = await act(from, to, identity.publicKey);
      }
    } catch (error) {
      outcome = { ok: false, message: (error as Error).message };
    }
    this.#setMoves(url, { busy: false, message: outcome.message, failed: !outcome.ok });
    // Both grids' new receipts, not waited for (a sync may take long on a busy machine): the wallets show the move,
    // and each page kept counts what waits again.
    void Promise.allSettled([this.#o.syncHome(), grid.syncReceipts()]);
    return outcome;
  }

  /** The two ends of a move between the home grid and `grid`; null while the home grid's key is unknown. */
  async #sides(grid: Grid): Promise<{ home: CreditSide; grid: CreditSide } | null> {
    const homeKey = this.#o.model.view().coordinatorKey;
    if (!homeKey) return null;
    return {
      home: { name: 'this coordinator', key: homeKey, store: this.#o.store, volunteer: this.#o.homeVolunteer },
      grid: {
        name: grid.setting.url,
        key: grid.setting.key,
        store: await grid.database(),
        volunteer: () => grid.volunteer(),
      },
    };
  }

  #readAllMoves(): void {
    for (const url of this.#grids.keys()) void this.#readMoves(url);
  }

  /** Counts what waits to be credited, each way, from what both databases keep. */
  async #readMoves(url: string): Promise<void> {
    const grid = this.#grids.get(url);
    const identity = await this.#o.store.identity();
    const sides = grid && identity ? await this.#sides(grid) : null;
    if (!sides || !identity || !this.#grids.has(url)) return;
    // An export's kept record counts its debit against the credit (negative): what waits is what it moved.
    const sum = (rs: readonly { credit: number }[]) => rs.reduce((total, r) => total - r.credit, 0);
    const [toGrid, toHome] = await Promise.all([
      waitingMoves(sides.home, sides.grid, identity.publicKey),
      waitingMoves(sides.grid, sides.home, identity.publicKey),
    ]);
    if (this.#grids.has(url)) this.#setMoves(url, { waitingToGrid: sum(toGrid), waitingToHome: sum(toHome) });
  }

  #moves(url: string): GridMoves {
    return this.#view.moves[url] ?? NO_MOVES;
  }

  #setMoves(url: string, patch: Partial<GridMoves>): void {
    this.#set({ moves: { ...this.#view.moves, [url]: { ...this.#moves(url), ...patch } } });
  }

  /** Adds the coordinator at `text`: reads its key (kept from now on) and projects, then serves it. */
  async add(text: string): Promise<boolean> {
    const url = gridOrigin(text);
    if (url === null) return this.#refuse('That is not an http(s) address.');
    if (url === new URL(this.#o.home).origin) return this.#refuse('That is the coordinator this page came from.');
    if (this.#grids.has(url)) return this.#refuse('That grid is already here.');
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
      if (same) return this.#refuse(`That grid is already here, as ${same.url}.`);
      const setting: GridSetting = { url, key: known.publicKey, share: 100, servedProjects: null };
      await this.#save([...this.#settings(), setting]);
      const grid = await this.#open(setting);
      if (this.#started) await this.#startGrid(grid);
      return true;
    } catch (error) {
      return this.#refuse(`${url} did not answer as a coordinator: ${(error as Error).message}`);
    } finally {
      this.#set({ adding: false });
    }
  }

  /** Stops serving a grid and forgets it; its database (receipts, undelivered results) stays in the browser. */
  async remove(url: string): Promise<void> {
    const grid = this.#grids.get(url);
    this.#grids.delete(url);
    const { [url]: _forgotten, ...moves } = this.#view.moves;
    this.#set({ moves });
    await this.#save(this.#settings().filter((s) => s.url !== url));
    this.#publish();
    // The last other grid gone: the home pipeline has the whole throttle again (rebalancing stops with none).
    if (this.#grids.size === 0) this.#o.setHomeDuty(this.#o.model.view().settings.throttle / 100);
    await grid?.close();
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

  /** The volunteer pressed Start: every grid computes from now on. */
  async start(): Promise<void> {
    this.#started = true;
    this.#timer ??= setInterval(() => void this.#rebalance(), REBALANCE_MS);
    void this.#rebalance();
    await Promise.all([...this.#grids.values()].map((g) => this.#startGrid(g)));
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.all([...this.#grids.values()].map((g) => g.stop()));
  }

  /** Retires every grid's volunteer bound to another key than `keepKey` (a restored key backup). */
  async retire(keepKey: string): Promise<void> {
    await Promise.all([...this.#grids.values()].map((g) => g.retire(keepKey)));
    // What waits is the restored key's now.
    this.#readAllMoves();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#unwatchHome();
    await Promise.all([...this.#grids.values()].map((g) => g.close()));
  }

  /** The shares applied to every pipeline; with no other grid the home one keeps the whole throttle as before. */
  async #rebalance(): Promise<void> {
    if (this.#grids.size === 0 || this.#rebalancing) return;
    this.#rebalancing = true;
    try {
      const grids = [...this.#grids.values()];
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
    const grid = new Grid({
      deps: this.#o,
      setting,
      identity: () => this.#identity(),
      pauseWhenHidden: () => this.#o.model.view().settings.pauseWhenHidden,
      onChange: () => this.#publish(),
      onReceipts: () => void this.#readMoves(setting.url),
    });
    this.#grids.set(setting.url, grid);
    this.#publish();
    await grid.open();
    return grid;
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
