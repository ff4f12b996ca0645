// Drains the outbox to the coordinator in the background: batches, retries with backoff, drops (and
// records) the items the coordinator will never accept, and sets aside an item it keeps failing on, so
// that one poisoned result cannot hold up every result after it, across reloads.
import type { SubmitResponse, SubmittedResult } from '@bricolage/protocol';
import type { Outbox, OutboxEntry } from '../outbox';
import { backoffDelay, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff';
import { type ClientFailure, type ClientResult, SLOWEST_UPLINK_BYTES_PER_S } from './coordinator-client';
import { judgeBatch } from './submit-batch';

export interface SubmitTransport {
  /**
   * `uplinkBytesPerS`: the slowest uplink the request's body is given time for (the client's own when absent);
   * `signal`: the submitter's giving up on the request (`coordinatorBack`).
   */
  submit(
    results: SubmittedResult[],
    uplinkBytesPerS?: number,
    signal?: AbortSignal,
  ): Promise<ClientResult<SubmitResponse>>;
}

export interface SubmitterEvents {
  settled(entries: readonly OutboxEntry[], accepted: number, repeated: number): void;
  dropped(entry: OutboxEntry, reason: ClientFailure): void;
  /** The entry failed `failures` deliveries of its own and was moved out of the outbox's queue. */
  setAside(entry: OutboxEntry, reason: ClientFailure, failures: number): void;
  retrying(reason: ClientFailure, delayMs: number): void;
}

/** How many failed deliveries of its own an entry is allowed before it is set aside. */
export const DEFAULT_MAX_FAILURES = 5;

/**
 * Results in one request at most. Everything waiting goes together up to this, so a device finishing
 * hundreds of short units a second is not held to the pace of one round trip per 50 results (the worker
 * went idle every 50 cnn units waiting for room in its leases: bench:runtime --gaps, 2026-12-01); and not
 * more, since the coordinator judges a batch in one transaction that other volunteers wait behind (its
 * benchmark's batch is 200: tens of milliseconds).
 */
export const DEFAULT_BATCH_SIZE = 200;
/** Characters of results in one request at most: a batch of large outputs stays far below the coordinator's 16 MiB. */
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;
/** Batches that must go in a row, after one timed out, before batches may be twice as large again. */
const GROW_AFTER = 8;
/** The slowest uplink a lone result that keeps timing out is given time for: 1 KiB/s (a 4 MB result: 68 minutes). */
const SLOWEST_UPLINK_GIVEN = 1024;

export interface SubmitterOptions {
  readonly outbox: Outbox;
  readonly transport: SubmitTransport;
  readonly events: SubmitterEvents;
  readonly batchSize?: number;
  readonly batchBytes?: number;
  readonly maxFailures?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Entries that, sent alone during one pass over a batch, met a server error; with that error. */
type Suspects = { readonly entry: OutboxEntry; readonly reason: ClientFailure }[];

export class Submitter {
  readonly #o: SubmitterOptions;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #wake: (() => void) | null = null;
  /**
   * Whether the coordinator was working, as its latest telling answer showed: true after it accepted or
   * refused results, false after a batch of several failed or it could not be reached, unknown before
   * either. A lone entry failing tells nothing of the coordinator (it may be the entry), so it changes
   * nothing here.
   */
  #working: boolean | null = null;
  /** Characters of results a batch may hold now: less after a batch timed out (`#timedOut`). */
  #bytes: number;
  /** Batches that went since the last that timed out. */
  #calm = 0;
  /** The slowest uplink a request's body is given time for, when a lone result timed out at the client's own. */
  #uplink: number | undefined;
  /** The batch on its way, to give up on when the coordinator is seen back (`coordinatorBack`). */
  #inFlight: AbortController | null = null;
  /** `retryNow` was called since the drain last failed or delivered: the failures before it say nothing of now. */
  #toldToRetry = false;
  /**
   * The backoff was started over since a batch last went. Once per outage: a coordinator whose health check answers
   * while its submits fail is seen "back" every few seconds, and would otherwise be retried at the shortest wait for
   * ever, by every volunteer at once.
   */
  #startedOver = false;

  constructor(options: SubmitterOptions) {
    this.#o = options;
    this.#bytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
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

  /**
   * Retry now instead of waiting out the backoff (the coordinator is back, the page came online), and start the
   * backoff over: a failure just after it that got no answer at all waits the shortest time, not what the outage had
   * grown it to (30 s). Once until a batch goes; an error answer's backoff (429, 5xx) stands.
   */
  retryNow(): void {
    this.#toldToRetry = true;
    this.#wake?.();
  }

  /**
   * The coordinator answers again: a batch sent before it did (as it went, or while it was gone) may be stuck on a
   * connection that will never answer, and would hold every result behind it for the client's whole timeout (30 s).
   * It is given up and sent again now (a result the coordinator took already comes back as a repeat), and the backoff
   * starts over (`retryNow`).
   */
  coordinatorBack(): void {
    this.#inFlight?.abort();
    this.retryNow();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async #drain(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      this.#again = false;
      const batch = withinBytes(await this.#o.outbox.peek(this.#o.batchSize ?? DEFAULT_BATCH_SIZE), this.#bytes);
      if (batch.length === 0) {
        if (this.#again) continue;
        return;
      }
      const suspects: Suspects = [];
      let outcome = await this.#send(batch, suspects);
      // Suspects still in the outbox are tried again only after a pause, like any other failure.
      if (suspects.length > 0 && (await this.#judge(suspects)) && outcome === 'done')
        outcome = (suspects[0] as Suspects[number]).reason;
      if (outcome !== 'done') {
        if (outcome.timedOut) this.#timedOut(batch);
        // Told to retry now, maybe while this batch was on its way: it may have left before the coordinator was back,
        // and the wait after it must not be the outage's (there is no sleep for that call to cut short).
        if (this.#toldToRetry && !this.#startedOver && outcome.status === 0) {
          failures = 0;
          this.#startedOver = true;
        }
        this.#toldToRetry = false;
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
      } else {
        failures = 0;
        this.#toldToRetry = false;
        this.#startedOver = false;
        this.#went();
      }
    }
  }

  /**
   * Counts a failure against each suspect that earned it, and sets aside those that reached the limit.
   * A lone failure counts when the coordinator was seen working at the end of the pass (it handled other
   * results), or against an entry that already failed so: a coordinator failing for everyone (a full
   * disk, a bad release) must not condemn the results it fails on, while an entry once shown to be bad
   * is not cleared by being all that is left to send. True when some suspect is still in the outbox.
   */
  async #judge(suspects: Suspects): Promise<boolean> {
    let waiting = false;
    for (const { entry, reason } of suspects) {
      if (this.#working !== true && !((entry.failures ?? 0) > 0)) {
        waiting = true;
        continue;
      }
      const failures = await this.#o.outbox.recordFailure(entry.id);
      if (failures >= (this.#o.maxFailures ?? DEFAULT_MAX_FAILURES)) {
        await this.#o.outbox.setAside(entry.id, { code: reason.code, message: reason.message }, this.#now());
        this.#o.events.setAside(entry, reason, failures);
      } else if (failures > 0) waiting = true;
    }
    return waiting;
  }

  /**
   * A batch timed out: on an uplink too slow for the time the client gives a body (CoordinatorClient's
   * SLOWEST_UPLINK_BYTES_PER_S) the same batch would time out for ever. Batches of several are sent in halves from
   * now on; a lone result (it cannot be halved, and every one behind it waits) is given twice the time for its body.
   */
  #timedOut(batch: readonly OutboxEntry[]): void {
    this.#calm = 0;
    if (batch.length > 1) this.#bytes = Math.floor(bytesOf(batch) / 2);
    else this.#uplink = Math.max(SLOWEST_UPLINK_GIVEN, (this.#uplink ?? SLOWEST_UPLINK_BYTES_PER_S) / 2);
  }

  /** A batch went: after enough of them in a row, batches may be twice as large again (the link may have got better). */
  #went(): void {
    this.#uplink = undefined;
    if (++this.#calm < GROW_AFTER) return;
    this.#calm = 0;
    this.#bytes = Math.min(this.#o.batchBytes ?? DEFAULT_BATCH_BYTES, this.#bytes * 2);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /**
   * Sends one batch until every item in it is settled, dropped or suspect, or a retry is needed. A batch
   * the coordinator fails on is halved until the entry it fails on is alone, so that one bad entry among
   * 50 is found in a dozen requests and the rest are delivered in the same pass.
   */
  async #send(batch: OutboxEntry[], suspects: Suspects): Promise<'done' | ClientFailure> {
    // The parts still to send, front first.
    const parts: OutboxEntry[][] = [batch];
    let probe: OutboxEntry | null = null;
    let probeFailed = false;
    while (parts.length > 0 && !this.#closed) {
      const part = parts.shift() as OutboxEntry[];
      const inFlight = new AbortController();
      this.#inFlight = inFlight;
      const answer = await this.#o.transport
        .submit(
          part.map((e) => e.result),
          this.#uplink,
          inFlight.signal,
        )
        .finally(() => {
          if (this.#inFlight === inFlight) this.#inFlight = null;
        });
      const verdict = judgeBatch(part.length, answer);
      switch (verdict.kind) {
        case 'settled':
          this.#working = true;
          await this.#o.outbox.remove(part.map((e) => e.id));
          this.#o.events.settled(part, verdict.accepted, verdict.repeated);
          break;
        case 'drop': {
          this.#working = true;
          const bad = part[verdict.index] as OutboxEntry;
          await this.#o.outbox.remove([bad.id]);
          this.#o.events.dropped(bad, verdict.reason);
          const rest = part.filter((_, i) => i !== verdict.index);
          if (rest.length > 0) parts.unshift(rest);
          break;
        }
        case 'split':
          this.#working = true;
          parts.unshift(...part.map((e) => [e]));
          break;
        case 'retry':
          this.#working = false;
          return verdict.reason;
        case 'suspect': {
          if (part.length > 1) {
            this.#working = false;
            const half = Math.ceil(part.length / 2);
            parts.unshift(part.slice(0, half), part.slice(half));
            break;
          }
          const entry = part[0] as OutboxEntry;
          suspects.push({ entry, reason: verdict.reason });
          if (entry === probe) probeFailed = true;
          if (suspects.length < 2 || this.#working === true) break;
          // Two lone entries failed with nothing answered since a batch failed: either they are bad, or the
          // coordinator is failing for everyone. One probe tells: the last entry of the batch, alone.
          if (probeFailed || parts.length === 0) return verdict.reason;
          probe = takeLast(parts);
          parts.unshift([probe]);
          break;
        }
      }
    }
    return 'done';
  }
}

/** What an entry adds to a request's body, near enough: its output's base64, or its error message, and the rest. */
const sizeOf = (e: OutboxEntry): number =>
  (e.result.kind === 'ok' ? e.result.output.length : e.result.message.length) + 200;

const bytesOf = (entries: readonly OutboxEntry[]): number => entries.reduce((total, e) => total + sizeOf(e), 0);

/** The first entries that fit in `bytes`; the first entry always, however large (it must go some time). */
export function withinBytes(entries: OutboxEntry[], bytes: number): OutboxEntry[] {
  let total = 0;
  for (const [i, e] of entries.entries()) {
    total += sizeOf(e);
    if (total > bytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

/** Removes and returns the last entry of the last part (dropping the part if it empties). */
function takeLast(parts: OutboxEntry[][]): OutboxEntry {
  const last = parts[parts.length - 1] as OutboxEntry[];
  const entry = last.pop() as OutboxEntry;
  if (last.length === 0) parts.pop();
  return entry;
}
