// Drains the outbox to the coordinator in the background: batches, retries with backoff, drops (and
// records) the items the coordinator will never accept.
import type { SubmitResponse, SubmittedResult } from '@bricolage/protocol';
import type { Outbox, OutboxEntry } from '../outbox';
import { backoffDelay, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff';
import type { ClientFailure, ClientResult } from './coordinator-client';
import { judgeBatch } from './submit-batch';

export interface SubmitTransport {
  submit(results: SubmittedResult[]): Promise<ClientResult<SubmitResponse>>;
}

export interface SubmitterEvents {
  settled(entries: readonly OutboxEntry[], accepted: number, repeated: number): void;
  dropped(entry: OutboxEntry, reason: ClientFailure): void;
  retrying(reason: ClientFailure, delayMs: number): void;
}

export interface SubmitterOptions {
  readonly outbox: Outbox;
  readonly transport: SubmitTransport;
  readonly events: SubmitterEvents;
  readonly batchSize?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
}

export class Submitter {
  readonly #o: SubmitterOptions;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(options: SubmitterOptions) {
    this.#o = options;
  }

  /** Starts draining unless already draining; resolves when the outbox is empty or the submitter closed. */
  kick(): Promise<void> {
    this.#again = true;
    this.#wake?.();
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Retry now instead of waiting out the backoff (e.g. the page came back online). */
  retryNow(): void {
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async #drain(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      this.#again = false;
      const batch = await this.#o.outbox.peek(this.#o.batchSize ?? 50);
      if (batch.length === 0) {
        if (this.#again) continue;
        return;
      }
      const outcome = await this.#send(batch);
      if (outcome !== 'done') {
        const delay = backoffDelay(failures++, this.#o.backoff ?? DEFAULT_BACKOFF, this.#o.random);
        this.#o.events.retrying(outcome, delay);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = null;
      } else failures = 0;
    }
  }

  /** Sends one batch until every item in it is settled or dropped, or a retry is needed. */
  async #send(entries: OutboxEntry[]): Promise<'done' | ClientFailure> {
    let pending = entries;
    while (pending.length > 0 && !this.#closed) {
      const answer = await this.#o.transport.submit(pending.map((e) => e.result));
      const verdict = judgeBatch(pending.length, answer);
      switch (verdict.kind) {
        case 'settled':
          await this.#o.outbox.remove(pending.map((e) => e.id));
          this.#o.events.settled(pending, verdict.accepted, verdict.repeated);
          return 'done';
        case 'drop': {
          const bad = pending[verdict.index]!;
          await this.#o.outbox.remove([bad.id]);
          this.#o.events.dropped(bad, verdict.reason);
          pending = pending.filter((_, i) => i !== verdict.index);
          break;
        }
        case 'split':
          for (const entry of pending) {
            const single = await this.#send([entry]);
            if (single !== 'done') return single;
          }
          return 'done';
        case 'retry':
          return verdict.reason;
      }
    }
    return 'done';
  }
}
