// Results waiting to be submitted. In memory here; a durable IndexedDB implementation can replace it
// (packages/receipts) because the pipeline only sees this interface.
import type { SubmittedResult } from '@bricolage/protocol';

export interface OutboxEntry {
  /** The lease the result answers: one entry per lease. */
  readonly id: string;
  readonly result: SubmittedResult;
  readonly createdAt: number;
}

export interface Outbox {
  /** Adds an entry; an entry with the same id replaces nothing (first one wins). */
  put(entry: OutboxEntry): Promise<void>;
  /** Adds entries all at once (one transaction where durable), as `put` does each. */
  putMany(entries: readonly OutboxEntry[]): Promise<void>;
  /** Up to `limit` entries, oldest first. */
  peek(limit: number): Promise<OutboxEntry[]>;
  remove(ids: readonly string[]): Promise<void>;
  size(): Promise<number>;
}

export class MemoryOutbox implements Outbox {
  readonly #entries = new Map<string, OutboxEntry>();

  async put(entry: OutboxEntry): Promise<void> {
    if (!this.#entries.has(entry.id)) this.#entries.set(entry.id, entry);
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
}
