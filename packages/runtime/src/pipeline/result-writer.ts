// Results on their way into the outbox. While one write is under way, the results that finish meanwhile
// wait and go in the next write together: a work unit of a millisecond must not wait for a storage
// transaction of its own, or the page, not the device, sets the pace. A write that fails (the browser's storage
// full for a moment, a transaction aborted) is tried again a few times before its results are given up.
import type { Outbox, OutboxEntry } from '../outbox';
import { Sleeps } from './sleeps';

/** The waits before each new try of a write that failed: 15.5 s in all, then its results are given up. */
export const WRITE_RETRY_MS: readonly number[] = [500, 1000, 2000, 4000, 8000];

interface Waiting {
  readonly entry: OutboxEntry;
  readonly written: () => void;
  readonly failed: (error: unknown) => void;
}

export class ResultWriter {
  readonly #outbox: Outbox;
  #waiting: Waiting[] = [];
  #writing: Promise<void> | null = null;

  readonly #retryMs: readonly number[];
  /** The pipeline is stopping: a write that fails is not tried again, and a wait for the next try ends now. */
  #stopping = false;
  readonly #sleeps = new Sleeps();

  constructor(outbox: Outbox, retryMs: readonly number[] = WRITE_RETRY_MS) {
    this.#outbox = outbox;
    this.#retryMs = retryMs;
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

  /**
   * No more tries: a Stop, a close or a withdrawal must not wait out the retries (15 s). What fails from now on is
   * given up at once; it stays with the page's unsent results for the send as the page goes.
   */
  stopRetrying(): void {
    this.#stopping = true;
    this.#sleeps.wakeAll();
  }

  /** Resolves once everything added so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      const entries = batch.map((w) => w.entry);
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#outbox.putMany(entries);
          for (const w of batch) w.written();
          break;
        } catch (error) {
          const wait = this.#retryMs[attempt];
          if (wait === undefined || this.#stopping) {
            for (const w of batch) w.failed(error);
            break;
          }
          await this.#sleeps.sleep(wait);
        }
      }
    }
  }
}
