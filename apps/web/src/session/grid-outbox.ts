// What one grid's outbox holds, and its delivery while the grid does not compute: results kept from before a reload,
// and the count shown of them. The part of `Grid` (grid.ts) that reads its outbox; computing grids deliver from their
// running pipeline instead.
import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { GridView } from './grid-view';

/** What the outbox part is given by its grid. */
export interface GridOutboxHost {
  readonly url: () => string;
  /** Its database, once open. */
  readonly database: () => Promise<VolunteerStore>;
  /** Its volunteer for the tab's key, made (not started) if there is none yet. */
  readonly volunteer: () => Promise<Volunteer>;
  /** Whether it computes now: its pipeline then delivers what the outbox holds. */
  readonly started: () => boolean;
  /** Results are about to go while it is stopped: their receipts are then fetched as after a Stop. */
  readonly deliveringStopped: () => void;
  readonly view: () => GridView;
  readonly set: (patch: Partial<GridView>) => void;
}

export class GridOutbox {
  readonly #host: GridOutboxHost;

  constructor(host: GridOutboxHost) {
    this.#host = host;
  }

  /**
   * Delivers what its outbox kept from before a reload or a browser restart, as the home grid does at load: left for
   * the next Start, those results could outlive their leases. Nothing computes.
   */
  async deliverKept(): Promise<void> {
    try {
      const { outbox } = await this.#host.database();
      if (this.#host.started() || (await outbox.size()) === 0) return;
      const volunteer = await this.#host.volunteer();
      this.#host.deliveringStopped();
      await volunteer.flush(15_000);
    } catch (error) {
      console.warn(`grid ${this.#host.url()}: results kept from before not delivered yet`, error);
    }
  }

  /** Counts the results its outbox holds now (shown while it is leaving). */
  async countUndelivered(): Promise<number> {
    const undelivered = await (await this.#host.database()).outbox.size();
    if (this.#host.view().undelivered !== undelivered) this.#host.set({ undelivered });
    return undelivered;
  }
}
