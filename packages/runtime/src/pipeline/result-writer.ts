// Results on their way into the outbox. While one write is under way, the results that finish meanwhile
// wait and go in the next write together: a work unit of a millisecond must not wait for a storage
// transaction of its own, or the page, not the device, sets the pace.
import type { Outbox, OutboxEntry } from '../outbox';

interface Waiting {
  readonly entry: OutboxEntry;
  readonly written: () => void;
  readonly failed: (error: unknown) => void;
}

export class ResultWriter {
  readonly #outbox: Outbox;
  #waiting: Waiting[] = [];
  #writing: Promise<void> | null = null;

  constructor(outbox: Outbox) {
    this.#outbox = outbox;
  }

  /** Resolves once the entry is in the outbox. */
  add(entry: OutboxEntry): Promise<void> {
    const written = new Promise<void>((resolve, reject) =>
      this.#waiting.push({ entry, written: resolve, failed: reject }),
    );
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = null;
    });
    return written;
  }

  /** Resolves once everything added so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await this.#outbox.putMany(batch.map((w) => w.entry));
        for (const w of batch) w.written();
      } catch (error) {
        for (const w of batch) w.failed(error);
      }
    }
  }
}
