// Credit moved between the home grid and each other grid of the tab, as the page shows it: a move (`moveCredit`) and
// the presenting of what waits (`creditWaiting`), one at a time per grid; what waits each way, counted from both
// databases; and a move that got no answer, sent again under its request id until the grid it left settles it: the
// export it made, or closed (none was, and none will be: the request landing late is refused there).
import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import {
  type CreditSide,
  creditWaiting,
  type MoveOutcome,
  moveCredit,
  unsureMoveState,
  waitingMoves,
} from './credit-moves';
import type { Grid } from './grid';
import type { ViewModel } from './view';

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
   * request (its id), which moves at most once. The sending grid settles that request (by its id) as the page reads
   * its moves: it made the export (the move went through), or it closes the request (it did not, and never will);
   * either way a move from then on is a new one.
   */
  readonly unsure: UnsureMove | null;
}

export interface UnsureMove {
  readonly direction: MoveDirection;
  readonly amount: number;
  readonly requestId: string;
}

const NO_MOVES: GridMoves = {
  waitingToGrid: 0,
  waitingToHome: 0,
  busy: false,
  message: null,
  failed: false,
  unsure: null,
};

export interface MovesOptions {
  /** The home grid's database and view (its key). */
  readonly store: VolunteerStore;
  readonly model: ViewModel;
  /** The home grid's volunteer for the tab's key. */
  readonly homeVolunteer: () => Promise<Volunteer>;
  /** Reads the home grid's new receipts now. */
  readonly syncHome: () => Promise<void>;
  /** The grid at `url`, while the tab serves it. */
  readonly grid: (url: string) => Grid | undefined;
  readonly onChange: (moves: Readonly<Record<string, GridMoves>>) => void;
}

/** The moves of credit between the home grid and each other grid (by its URL). */
export class Moves {
  readonly #o: MovesOptions;
  #view: Readonly<Record<string, GridMoves>> = {};
  /**
   * Exports (their indices in the sending grid's log, by `${url} ${direction}`) the page saw credited at the other
   * end: one does not show as waiting while the receiving grid's receipts of it are unread (they may stay so: an idle
   * grid syncs none).
   */
  readonly #credited = new Map<string, Set<number>>();

  constructor(options: MovesOptions) {
    this.#o = options;
  }

  /** Forgets the grid at `url` (removed from the tab). */
  forget(url: string): void {
    const { [url]: _forgotten, ...moves } = this.#view;
    this.#view = moves;
    for (const direction of ['toGrid', 'toHome'] as const) this.#credited.delete(`${url} ${direction}`);
    this.#o.onChange(this.#view);
  }

  /**
   * Moves `amount` of the volunteer's credit between the home grid and the grid at `url`; true when it moved. While a
   * move of another amount or way is unsure, that one is settled first: dropped unsettled, it could still land after
   * this one, and the credit move twice where the volunteer meant once.
   */
  async move(url: string, direction: MoveDirection, amount: number): Promise<boolean> {
    const earlier = this.#moves(url).unsure;
    // The same request again, news again: sent once more, it may land this time.
    const again = earlier && earlier.direction === direction && earlier.amount === amount;
    let unsure: UnsureMove | null = again ? { direction, amount, requestId: earlier.requestId } : null;
    let earlierSettled = false;
    const outcome = await this.#moving(url, direction, async (from, to) => {
      if (earlier && !again) {
        const [earlierFrom, earlierTo] = earlier.direction === direction ? [from, to] : [to, from];
        const state = await unsureMoveState(earlierFrom, earlier.requestId);
        if (state.kind === 'unanswered')
          return {
            ok: false,
            message: `The move of ${earlier.amount} credit that got no answer is not settled yet (${state.message}), so nothing more was moved: try again later, or move ${earlier.amount} the same way to send that request again (it moves at most once).`,
          };
        earlierSettled = true;
        // It moved: whether the volunteer still means this move too, it says, pressing again.
        if (state.kind === 'exported')
          return {
            ok: false,
            message: `${settledMessage(earlier, state.kind, earlierFrom, earlierTo)} Nothing more was moved.`,
          };
      }
      unsure ??= { direction, amount, requestId: crypto.randomUUID() };
      return moveCredit(from, to, amount, unsure.requestId);
    });
    if (!outcome) return false;
    // An unsure move is forgotten only once the sending grid answered (it moved, refused, or settled the earlier
    // request): a failure of the page's own (its database not open yet) says nothing of whether it went through.
    const settled = outcome.ok || outcome.refused === true || earlierSettled;
    this.#setMoves(url, { unsure: !outcome.ok && outcome.unsure ? unsure : settled ? null : earlier });
    return outcome.ok;
  }

  /** Presents again what was moved to or from the grid at `url` and not credited at the other end. */
  async creditWaiting(url: string, direction: MoveDirection): Promise<void> {
    await this.#moving(url, direction, async (from, to, volunteer) =>
      creditWaiting(await waitingMoves(from, to, volunteer, this.#seen(this.#credited, url, direction)), to),
    );
  }

  async #moving(
    url: string,
    direction: MoveDirection,
    act: (from: CreditSide, to: CreditSide, volunteer: string) => Promise<MoveOutcome>,
  ): Promise<MoveOutcome | null> {
    const grid = this.#o.grid(url);
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
    // Removed meanwhile (and maybe added again, a new grid at the same address): nothing of this move is kept.
    if (this.#o.grid(url) !== grid) return null;
    const credited = this.#seen(this.#credited, url, direction);
    for (const index of outcome.creditedExports ?? []) credited.add(index);
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

  /** Counts what waits to be credited, each way, from what both databases keep (and what this page saw credited). */
  async read(url: string): Promise<void> {
    const grid = this.#o.grid(url);
    const identity = await this.#o.store.identity();
    const sides = grid && identity ? await this.#sides(grid) : null;
    if (!sides || !identity || !this.#o.grid(url)) return;
    // An export's kept record counts its debit against the credit (negative): what waits is what it moved.
    const sum = (rs: readonly { credit: number }[]) => rs.reduce((total, r) => total - r.credit, 0);
    const [toGrid, toHome] = await Promise.all([
      waitingMoves(sides.home, sides.grid, identity.publicKey, this.#seen(this.#credited, url, 'toGrid')),
      waitingMoves(sides.grid, sides.home, identity.publicKey, this.#seen(this.#credited, url, 'toHome')),
    ]);
    const settled = await this.#unsureSettled(url, sides);
    if (!this.#o.grid(url)) return;
    this.#setMoves(url, { waitingToGrid: sum(toGrid), waitingToHome: sum(toHome) });
    if (settled) this.#setMoves(url, settled);
  }

  /**
   * The move that got no answer settled by the grid it left, as a change of the view: it went through, or that grid
   * closed its request (none was made, and the request landing late is refused), so that "did not go through" is
   * true for good. Either way a move from then on is a new one. Null when there is nothing new to say.
   */
  async #unsureSettled(url: string, sides: { home: CreditSide; grid: CreditSide }): Promise<Partial<GridMoves> | null> {
    const unsure = this.#moves(url).unsure;
    if (!unsure) return null;
    const [from, to] = unsure.direction === 'toGrid' ? [sides.home, sides.grid] : [sides.grid, sides.home];
    const state = await unsureMoveState(from, unsure.requestId);
    // Still the same unsure move (not one sent since): only then is it settled here. Unanswered, it is settled at the
    // next read.
    if (this.#moves(url).unsure !== unsure || state.kind === 'unanswered') return null;
    return { unsure: null, failed: false, message: settledMessage(unsure, state.kind, from, to) };
  }

  /** The set of export indices `seen` keeps for moves to or from `url` going `direction`. */
  #seen(seen: Map<string, Set<number>>, url: string, direction: MoveDirection): Set<number> {
    const key = `${url} ${direction}`;
    const set = seen.get(key) ?? new Set<number>();
    seen.set(key, set);
    return set;
  }

  #moves(url: string): GridMoves {
    return this.#view[url] ?? NO_MOVES;
  }

  #setMoves(url: string, patch: Partial<GridMoves>): void {
    this.#view = { ...this.#view, [url]: { ...this.#moves(url), ...patch } };
    this.#o.onChange(this.#view);
  }
}

/** What the page says of a move that got no answer once the grid it left settled it. */
function settledMessage(move: UnsureMove, kind: 'exported' | 'closed', from: CreditSide, to: CreditSide): string {
  const about = `The move of ${move.amount} credit that got no answer`;
  return kind === 'exported'
    ? `${about} went through: ${from.name} exported it to ${to.name}.`
    : `${about} did not go through, and will not: ${from.name} made no export under it, and refuses it should it still arrive. Moving again is a new move.`;
}
