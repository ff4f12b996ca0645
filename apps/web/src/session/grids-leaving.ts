// Grids removed while their outboxes held results (`GridSetting.leaving`): each is kept, delivering them (nothing
// computes for it), and forgotten once its outbox holds nothing. The part of `Grids` (grids.ts) that says when a
// leaving grid goes, counting again while any is left what another tab may have delivered from the same outbox.
import type { Grid } from './grid';

/**
 * How often leaving grids are counted again: a tab hears of the results its own volunteer delivers, not of those
 * another tab of this browser delivers from the same outbox. Two counts per leaving grid in one transaction, no
 * result read, and only while any leaves.
 */
export const RECOUNT_MS = 15_000;

/** What the leaving grids are given by the page's grids. */
export interface LeavingHost {
  /** Every grid listed here. */
  readonly grids: () => readonly Grid[];
  /** Whether `grid` is still listed here, leaving (not added again, nor forgotten, since). */
  readonly leaving: (grid: Grid) => boolean;
  /** Forgets `grid`, its volunteer given `timeoutMs` to finish what it sends. */
  readonly forget: (grid: Grid, timeoutMs: number) => Promise<void>;
}

export class Leaving {
  readonly #host: LeavingHost;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(host: LeavingHost) {
    this.#host = host;
  }

  /** Counts the leaving grids again every `RECOUNT_MS` while any is listed; call whenever which ones leave changed. */
  watch(): void {
    const any = this.#host.grids().some((grid) => this.#host.leaving(grid));
    if (!any) this.stop();
    else this.#timer ??= setInterval(() => this.#recount(), RECOUNT_MS);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #recount(): void {
    // Each one forgotten saves the settings, whose watch stops this once none is left.
    for (const grid of this.#host.grids()) void this.leftNothing(grid);
  }

  /** A leaving grid: forgotten if its outbox holds nothing, else delivering what it holds (nothing is computed). */
  async deliver(grid: Grid): Promise<void> {
    // Added again meanwhile (while its removal was saved, or stopped), it is served: not delivered from here.
    if (!this.#host.leaving(grid) || (await this.leftNothing(grid))) return;
    void grid.deliverKept().then(() => this.leftNothing(grid));
  }

  /**
   * Counts what a leaving grid's outbox holds (shown) and forgets the grid once that is nothing (delivered or refused);
   * true when it forgot it. Its submitter goes on delivering in between, retrying while it is down. Results set aside
   * keep it too: forgotten, it would give them up unseen; listed, they are shown, with their Retry (not retried of
   * its own accord: the grid failed on them again and again), until the volunteer retries or forgets them.
   */
  async leftNothing(grid: Grid): Promise<boolean> {
    if (!this.#host.leaving(grid)) return false;
    // Its Stop may still be under way (the unit in its worker finishing): what that puts in the outbox counts too.
    await grid.settled();
    try {
      const { undelivered, setAside } = await grid.countOutbox();
      if (undelivered + setAside > 0 || !this.#host.leaving(grid)) return false;
    } catch (error) {
      console.warn(`grid ${grid.setting.url}: its outbox could not be counted`, error);
      return false;
    }
    await this.#host.forget(grid, 2000);
    return true;
  }
}
