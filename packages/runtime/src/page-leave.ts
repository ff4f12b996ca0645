// What a page does as it goes (pagehide: a link followed, a reload, its tab closed; also in the widget's frame):
// it sends the results it computed and has not yet delivered, then gives back the leases it will not compute,
// each in a keepalive request the browser still sends once the page is gone. Results first: they are work done,
// and the browser allows a page's such requests 64 KiB of bodies together (coordinator-client.ts).
import type { SubmittedResult } from '@bricolage/protocol';
import { type LeaveBudget, leaveBudget } from './client/coordinator-client';
import type { Outbox, OutboxEntry, SetAsideEntry } from './outbox';
import type { GivenUp } from './pipeline/lease-queue';

export interface LeavingClient {
  submitOnLeave(results: readonly SubmittedResult[], budget: LeaveBudget): number;
  releaseOnLeave(leases: readonly string[], budget: LeaveBudget, requests?: readonly string[]): void;
}

/**
 * The outbox, with the entries this page put in it and that are not yet delivered, refused or set aside kept in
 * memory too: at pagehide there is no time to read IndexedDB.
 */
export class UnsentResults implements Outbox {
  readonly #outbox: Outbox;
  readonly #unsent = new Map<string, OutboxEntry>();

  constructor(outbox: Outbox) {
    this.#outbox = outbox;
  }

  /** The results put by this page and not yet settled, oldest first. */
  get unsent(): readonly OutboxEntry[] {
    return [...this.#unsent.values()];
  }

  // Unsent from the moment they are handed over, not once written: a page that goes while a write is under way (the
  // writer is busy most of the time with short units) sends them too, and keeps their leases; one the outbox would not
  // take at all has no other copy.
  async put(entry: OutboxEntry): Promise<void> {
    if (!this.#unsent.has(entry.id)) this.#unsent.set(entry.id, entry);
    await this.#outbox.put(entry);
  }
  async putMany(entries: readonly OutboxEntry[]): Promise<void> {
    for (const e of entries) if (!this.#unsent.has(e.id)) this.#unsent.set(e.id, e);
    await this.#outbox.putMany(entries);
  }
  peek(limit: number): Promise<OutboxEntry[]> {
    return this.#outbox.peek(limit);
  }
  async remove(ids: readonly string[]): Promise<void> {
    await this.#outbox.remove(ids);
    for (const id of ids) this.#unsent.delete(id);
  }
  size(): Promise<number> {
    return this.#outbox.size();
  }
  recordFailure(id: string): Promise<number> {
    return this.#outbox.recordFailure(id);
  }
  async setAside(id: string, reason: SetAsideEntry['reason'], at: number): Promise<void> {
    await this.#outbox.setAside(id, reason, at);
    this.#unsent.delete(id);
  }
  setAsideEntries(): Promise<SetAsideEntry[]> {
    return this.#outbox.setAsideEntries();
  }
  // Not unsent of this page: put back by the volunteer, they wait in the outbox like those of an earlier page.
  retryAside(): Promise<number> {
    return this.#outbox.retryAside();
  }
}

/**
 * The page is going: its unsent results go first (as many as one request carries), then the leases it will not
 * compute — all it holds but those whose results went, and those granted under its lease request still out.
 */
export function leavePage(
  results: UnsentResults,
  client: LeavingClient,
  pipeline: { leave(sent: ReadonlySet<string>): GivenUp } | null,
): void {
  const budget = leaveBudget();
  const unsent = results.unsent;
  const n =
    unsent.length > 0
      ? client.submitOnLeave(
          unsent.map((e) => e.result),
          budget,
        )
      : 0;
  const given = pipeline?.leave(new Set(unsent.slice(0, n).map((e) => e.id)));
  if (given && given.leases.length + given.requests.length > 0)
    client.releaseOnLeave(given.leases, budget, given.requests);
}
