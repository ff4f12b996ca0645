// What one grid's outbox holds, and its delivery while the grid does not compute: results kept from before a reload,
// results set aside (the grid failed on them again and again) and their Retry, the counts shown of both, and the other
// tabs' news of it (outbox-news.ts). The part of `Grid` (grid.ts) that reads its outbox; computing grids deliver from
// their running pipeline instead.
import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { GridView } from './grid-view';
import type { OutboxNews } from './outbox-news';

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
  /** The other tabs' news of its outbox, `heard` called when one changed it. */
  readonly news: (heard: () => Promise<unknown>) => OutboxNews;
  /** Another tab changed its outbox (and it was counted again). */
  readonly changedElsewhere: () => void;
}

/** What an outbox holds: results still to deliver, and those set aside. */
export interface OutboxCount {
  readonly undelivered: number;
  readonly setAside: number;
}

export class GridOutbox {
  readonly #host: GridOutboxHost;
  /** Opened with the grid, before its outbox is first counted: no other tab's change after that is missed. */
  readonly #news: OutboxNews;

  constructor(host: GridOutboxHost) {
    this.#host = host;
    this.#news = host.news(async () => {
      await this.count();
      host.changedElsewhere();
    });
  }

  /** Its database's outbox, telling the other tabs of each change its volunteer makes there. */
  announcing(outbox: VolunteerStore['outbox']): VolunteerStore['outbox'] {
    return this.#news.announcing(outbox);
  }

  /** Once its volunteer is closed: nothing more goes through its outbox from this tab. */
  closeNews(): void {
    this.#news.close();
  }

  /**
   * Delivers what its outbox kept from before a reload or a browser restart, as the home grid does at load: left for
   * the next Start, those results could outlive their leases. Nothing computes.
   */
  async deliverKept(): Promise<void> {
    try {
      const { outbox } = await this.#host.database();
      if (this.#host.started() || (await outbox.size()) === 0) return;
      await this.#deliverStopped(await this.#host.volunteer());
    } catch (error) {
      console.warn(`grid ${this.#host.url()}: results kept from before not delivered yet`, error);
    }
  }

  /**
   * Puts the results set aside back into delivery, their failures counted as one (the grid may have been fixed
   * since), and delivers them now where it does not compute (else its pipeline does); resolves with how many went.
   */
  async retrySetAside(): Promise<number> {
    const volunteer = await this.#host.volunteer();
    const moved = await volunteer.retrySetAside();
    await this.count();
    if (moved > 0 && !this.#host.started()) await this.#deliverStopped(volunteer);
    return moved;
  }

  /** Counts what its outbox holds now, both shown. */
  async count(): Promise<OutboxCount> {
    const { outbox } = await this.#host.database();
    const { undelivered, setAside } = await outbox.counts();
    const view = this.#host.view();
    if (view.undelivered !== undelivered || view.setAside !== setAside) this.#host.set({ undelivered, setAside });
    return { undelivered, setAside };
  }

  /**
   * Follows what leaves its volunteer's outbox other than delivered (refused by the grid, or set aside), and counts
   * again what is set aside; `onGone` is told of each. Returns what stops following.
   */
  follow(volunteer: Volunteer, onGone: () => void): () => void {
    const offDropped = volunteer.on('dropped', onGone);
    const offSetAside = volunteer.on('set-aside', () => {
      void this.count().catch((error: Error) => console.warn(`grid ${this.#host.url()}: not counted`, error));
      onGone();
    });
    return () => {
      offDropped();
      offSetAside();
    };
  }

  async #deliverStopped(volunteer: Volunteer): Promise<void> {
    this.#host.deliveringStopped();
    await volunteer.flush(15_000);
  }
}
