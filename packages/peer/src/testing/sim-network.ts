// Test-only: a seeded, simulated network and clock for the peer logic, so that rare interleavings replay
// exactly (after Yjs's TestConnector). Messages on a channel arrive in order after a seeded latency; timers run
// on the simulated clock; `run` delivers events one at a time until the awaited promise settles.
import type { Channel, Timers } from '../blob-exchange';

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export interface SimEnd extends Channel {
  /** Set by the test: what this end does with a message that arrives. */
  onMessage: (bytes: Uint8Array) => void;
  onClose: () => void;
  readonly closed: boolean;
  /** Every message this end sent, for assertions. */
  readonly sent: Uint8Array[];
}

export interface PairOptions {
  /** Rewrites what the first end sends (a misbehaving peer). */
  readonly tamperA?: (bytes: Uint8Array) => Uint8Array | null;
  /** Latency range in ms (default 1–20). */
  readonly latency?: readonly [number, number];
  /** Bandwidth of each direction, in bytes per ms: messages queue behind each other (default: unlimited). */
  readonly bytesPerMs?: number;
}

export class SimNetwork {
  readonly random: () => number;
  #now = 0;
  #seq = 0;
  #queue: Event[] = [];

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  readonly now = (): number => this.#now;

  readonly timers: Timers = {
    set: (callback, ms) => this.#schedule(ms, callback),
    clear: (handle) => {
      if (handle) (handle as Event).cancelled = true;
    },
  };

  #schedule(delay: number, run: () => void): Event {
    const event: Event = { at: this.#now + Math.max(0, delay), seq: this.#seq++, run, cancelled: false };
    const i = this.#queue.findIndex((e) => e.at > event.at);
    if (i < 0) this.#queue.push(event);
    else this.#queue.splice(i, 0, event);
    return event;
  }

  /** Two connected ends of an ordered channel. */
  pair(options: PairOptions = {}): [SimEnd, SimEnd] {
    const [lo, hi] = options.latency ?? [1, 20];
    const make = (tamper?: (bytes: Uint8Array) => Uint8Array | null): SimEnd & { peer?: SimEnd; last: number } => {
      const end = {
        onMessage: (_bytes: Uint8Array): void => undefined,
        onClose: (): void => undefined,
        closed: false,
        sent: [] as Uint8Array[],
        bufferedAmount: 0,
        last: 0,
        peer: undefined as (SimEnd & { last: number }) | undefined,
        drained: () => Promise.resolve(),
        send: (bytes: Uint8Array) => {
          if (end.closed) throw new Error('the channel is closed');
          end.sent.push(bytes);
          const out = tamper ? tamper(bytes.slice()) : bytes.slice();
          if (!out) return;
          // In order: never before the message sent ahead of it, and after its own bytes crossed the link.
          const transfer = options.bytesPerMs ? Math.ceil(out.length / options.bytesPerMs) : 0;
          const at = Math.max(end.last, this.#now + lo + Math.floor(this.random() * (hi - lo + 1))) + transfer;
          end.last = at;
          const other = end.peer as SimEnd;
          this.#schedule(at - this.#now, () => {
            if (!other.closed) other.onMessage(out);
          });
        },
        close: () => {
          if (end.closed) return;
          end.closed = true;
          const other = end.peer as SimEnd & { closed: boolean };
          this.#schedule(lo, () => {
            if (other.closed) return;
            (other as { closed: boolean }).closed = true;
            other.onClose();
          });
        },
      };
      return end;
    };
    const a = make(options.tamperA);
    const b = make();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  /** Delivers events in time order until `promise` settles; fails if nothing is left to deliver before it does. */
  async run<T>(promise: Promise<T>, maxEvents = 1_000_000): Promise<T> {
    let settled: { value: T } | { error: unknown } | null = null;
    promise.then(
      (value) => {
        settled = { value };
      },
      (error: unknown) => {
        settled = { error };
      },
    );
    for (let n = 0; n < maxEvents; n++) {
      // Lets every promise chain the last event started run to its end before the next event.
      await new Promise((resolve) => setImmediate(resolve));
      const done = settled as { value: T } | { error: unknown } | null;
      if (done) {
        if ('error' in done) throw done.error;
        return done.value;
      }
      const next = this.#queue.shift();
      if (!next) throw new Error('the simulation ran out of events before the promise settled');
      if (next.cancelled) continue;
      this.#now = next.at;
      next.run();
    }
    throw new Error(`still unsettled after ${maxEvents} events`);
  }

  /** Delivers every event due up to `ms` from now. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      const next = this.#queue[0];
      if (!next || next.at > until) break;
      this.#queue.shift();
      if (next.cancelled) continue;
      this.#now = next.at;
      next.run();
    }
    this.#now = until;
  }
}
