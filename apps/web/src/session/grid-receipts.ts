// One grid's receipts in this tab: fetched from it one sync at a time, each kept only once it verifies against the
// key first read from the grid, and the totals of what is kept read back from its database for the page.
import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { GridView } from './grid-view';
import { fetchNewReceipts } from './receipt-pages';

export interface GridReceiptsOptions {
  /** Its database, once open (null before, or closed). */
  readonly store: () => VolunteerStore | null;
  /** Its URL and the key its receipts are verified against. */
  readonly grid: () => { readonly url: string; readonly key: string };
  readonly view: () => GridView;
  readonly set: (patch: Partial<GridView>) => void;
  /** Receipts were kept (or the database opened): what waits of credit moved is counted again. */
  readonly onReceipts?: () => void;
}

/** A grid's receipt syncs and totals: the part of `Grid` (grid.ts) that keeps what the grid signed for this key. */
export class GridReceipts {
  readonly #o: GridReceiptsOptions;
  /** The sync under way (`sync`). */
  #syncing: Promise<boolean> | null = null;
  /** `pending`'s value: null before a sync read it, or since it was forgotten. */
  #pending: number | null = null;
  /** Bumped by `forgetPending`: a sync that asked before it does not set `pending`. */
  #asOf = 0;

  constructor(options: GridReceiptsOptions) {
    this.#o = options;
  }

  /**
   * Results of this key the grid counts waiting for a quorum, as the last sync that asked after `forgetPending` read
   * them; null before.
   */
  get pending(): number | null {
    return this.#pending;
  }

  /** Results were delivered (a Stop delivers what it holds): what the grid counted pending before says nothing now. */
  forgetPending(): void {
    this.#pending = null;
    this.#asOf++;
  }

  /**
   * New receipts, each kept only once it verifies against the key first read from this grid; its counters. True when
   * it stopped with more to fetch. One at a time: a poll's and a move's side by side would verify the same receipts
   * twice, and count one refused twice; one asked for meanwhile runs after the one under way (which may have asked
   * before the receipts it is for were logged).
   */
  async sync(volunteer: Volunteer): Promise<boolean> {
    while (this.#syncing) await this.#syncing.catch(() => false);
    const syncing = this.#fetch(volunteer);
    this.#syncing = syncing;
    try {
      return await syncing;
    } finally {
      if (this.#syncing === syncing) this.#syncing = null;
    }
  }

  async #fetch(volunteer: Volunteer): Promise<boolean> {
    const store = this.#o.store();
    if (!store || store.closed) return false;
    // The counters first, on their own: one request, where the receipts behind them may take long to verify.
    const asOf = this.#asOf;
    const stats = await volunteer.stats();
    if (stats.ok && asOf === this.#asOf) this.#pending = stats.value.pending;
    if (stats.ok && stats.value.valid !== this.#o.view().validated) this.#o.set({ validated: stats.value.valid });
    const { url, key } = this.#o.grid();
    const { rejected, more } = await fetchNewReceipts(volunteer, store, key, () => this.readTotals());
    if (rejected.length > 0) {
      console.warn(`${rejected.length} receipt(s) from ${url} did not verify against its key; not kept`);
      this.#o.set({ rejected: this.#o.view().rejected + rejected.length });
    }
    return more;
  }

  /** What is kept, counted from its database, into the view. */
  async readTotals(): Promise<void> {
    const store = this.#o.store();
    if (!store || store.closed) return;
    // Through the store, not `heldTotals` imported here: a value import from the receipts package into this chunk
    // split the page's shared chunk in two, and the page loaded 345 B (gzip) more.
    const { receipts, credit, debits, spent, movedIn, movedOut, failed } = await store.heldTotals();
    this.#o.set({ receipts, credit, debits, spent, movedIn, movedOut, failed });
    this.#o.onReceipts?.();
  }
}
