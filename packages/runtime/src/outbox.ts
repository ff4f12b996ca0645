// Results waiting to be submitted. In memory here; a durable IndexedDB implementation can replace it
// (packages/receipts) because the pipeline only sees this interface. An entry the coordinator keeps failing
// on can be set aside: kept, with why, but no longer delivered, so that it cannot hold up the ones after it.
import type { SubmittedResult } from '@bricolage/protocol';

export interface OutboxEntry {
  /** The lease the result answers: one entry per lease. */
  readonly id: string;
  readonly result: SubmittedResult;
  readonly createdAt: number;
  /** Deliveries that failed because of this entry alone (see the submitter); absent means none. */
  readonly failures?: number;
}

/** An entry taken out of delivery after it failed too often, and the last failure. */
export interface SetAsideEntry extends OutboxEntry {
  readonly reason: { readonly code: string; readonly message: string };
  readonly setAsideAt: number;
}

export interface Outbox {
  /** Adds an entry; an entry with the same id replaces nothing (first one wins). */
  put(entry: OutboxEntry): Promise<void>;
  /** Adds entries all at once (one transaction where durable), as `put` does each. */
  putMany(entries: readonly OutboxEntry[]): Promise<void>;
  /** Up to `limit` entries still to deliver, oldest first. */
  peek(limit: number): Promise<OutboxEntry[]>;
  remove(ids: readonly string[]): Promise<void>;
  /** How many entries are still to deliver. */
  size(): Promise<number>;
  /** Counts one more failed delivery against the entry; resolves with its count (0 when it is gone). */
  recordFailure(id: string): Promise<number>;
  /** Moves the entry out of delivery into the set-aside entries, with why; nothing when it is gone. */
  setAside(id: string, reason: SetAsideEntry['reason'], at: number): Promise<void>;
  /** The entries set aside, oldest first. */
  setAsideEntries(): Promise<SetAsideEntry[]>;
  /**
   * Puts every set-aside entry back into delivery, its failures counted as one: allowed nearly as many again before it
   * is set aside again, and still marked as once failing on its own, so that a failure of it alone counts even from a
   * page whose submitter has not seen the coordinator handle anything yet (client/submitter.ts `#judge`: else a result
   * still failing was retried for ever, never set aside again). Resolves with how many moved.
   */
  retryAside(): Promise<number>;
}

/** The failures a set-aside entry put back into delivery counts (see `Outbox.retryAside`). */
const RETRIED_FAILURES = 1;

export class MemoryOutbox implements Outbox {
  readonly #entries = new Map<string, OutboxEntry>();
  readonly #aside = new Map<string, SetAsideEntry>();

  async put(entry: OutboxEntry): Promise<void> {
    if (!this.#entries.has(entry.id) && !this.#aside.has(entry.id)) this.#entries.set(entry.id, entry);
  }

  async putMany(entries: readonly OutboxEntry[]): Promise<void> {
    for (const entry of entries) await this.put(entry);
  }

  async peek(limit: number): Promise<OutboxEntry[]> {
    return [...this.#entries.values()].slice(0, Math.max(0, limit));
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#entries.delete(id);
  }

  async size(): Promise<number> {
    return this.#entries.size;
  }

  async recordFailure(id: string): Promise<number> {
    const entry = this.#entries.get(id);
    if (!entry) return 0;
    const failures = (entry.failures ?? 0) + 1;
    this.#entries.set(id, { ...entry, failures });
    return failures;
  }

  async setAside(id: string, reason: SetAsideEntry['reason'], at: number): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#aside.set(id, { ...entry, reason, setAsideAt: at });
  }

  async setAsideEntries(): Promise<SetAsideEntry[]> {
    return [...this.#aside.values()];
  }

  async retryAside(): Promise<number> {
    const moved = this.#aside.size;
    for (const { id, result, createdAt } of this.#aside.values())
      this.#entries.set(id, { id, result, createdAt, failures: RETRIED_FAILURES });
    this.#aside.clear();
    return moved;
  }
}
