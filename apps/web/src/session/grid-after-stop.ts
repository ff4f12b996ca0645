// A grid stopped while results it was sent still wait for a second volunteer: their receipts come only when they
// validate, so they are fetched as the home grid's are (receipt-sync.ts): every 15 s, for at most 10 minutes after the
// Stop or the last results delivered since, and not on battery (nothing of the tab's own accord then). Nothing
// computes for it. The part of `Grid` (grid.ts) that says when a poll of a stopped grid syncs.

/**
 * How long and how often: the home grid's figures (receipt-sync.ts; equal, by a test). Said here, not imported: an
 * import from the page's first load split its chunks, and the page loaded 32 B (gzip) more.
 */
export const AFTER_STOP = { forMs: 10 * 60_000, everyMs: 15_000 } as const;

export class AfterStop {
  /** When the wait began: the last Stop, or results delivered since (Date.now()); never, before. */
  #from = Number.NEGATIVE_INFINITY;
  /** When a poll last synced in it. */
  #synced = Number.NEGATIVE_INFINITY;

  /** The grid stopped: the next poll syncs (what the Stop delivered is not counted yet). */
  stopped(now: number): void {
    this.#from = now;
    this.#synced = Number.NEGATIVE_INFINITY;
  }

  /**
   * Results were delivered while stopped (a Stop only starts delivering what it holds; an outage delays it): the wait
   * starts again from now. False when the grid never stopped (a delivery while computing is the running syncs').
   */
  delivered(now: number): boolean {
    if (this.#from === Number.NEGATIVE_INFINITY) return false;
    this.#from = now;
    return true;
  }

  /** Whether a poll now syncs: some results `pending` (null: not read since), not paused, within the wait. */
  due(now: number, pending: number | null, paused: boolean): boolean {
    return !paused && pending !== 0 && now - this.#from < AFTER_STOP.forMs && now - this.#synced >= AFTER_STOP.everyMs;
  }

  /** A poll synced now. */
  synced(now: number): void {
    this.#synced = now;
  }
}
