// Grids removed while their outboxes held results (`GridSetting.leaving`): each is kept, delivering them (nothing
// computes for it), and forgotten once its outbox holds nothing: emptied by this tab, or by another (its news, heard
// by the grid: outbox-news.ts). The part of `Grids` (grids.ts) that says when a leaving grid goes.
import type { Grid } from './grid';

/** What the leaving grids are given by the page's grids. */
export interface LeavingHost {
  /** Whether `grid` is still listed here, leaving (not added again, nor forgotten, since). */
  readonly leaving: (grid: Grid) => boolean;
  /** Forgets `grid`, its volunteer given `timeoutMs` to finish what it sends. */
  readonly forget: (grid: Grid, timeoutMs: number) => Promise<void>;
}

export class Leaving {
  readonly #host: LeavingHost;

  constructor(host: LeavingHost) {
    this.#host = host;
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
