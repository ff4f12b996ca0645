// What makes a SQLite commit durable here: an fdatasync of the WAL file, run in libuv's thread pool so that
// the event loop never waits for the disk, one at a time, each covering every commit made before it began.
// SQLite commits with `synchronous = NORMAL` (it writes the WAL, it does not sync it), and a transaction is
// answered only once a sync that began after its commit has finished: exactly the durability of
// `synchronous = FULL`, with one disk flush for all the commits made while the previous one ran.
import { closeSync, fdatasync, openSync } from 'node:fs';

export class WalSync {
  #inFlight: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  /** Flushes so far (tests and benchmarks count them). */
  flushes = 0;

  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves once everything committed before this call is on disk. */
  durable(): Promise<void> {
    if (!this.#inFlight) {
      this.flushes++;
      this.#inFlight = this.flush().finally(() => {
        this.#inFlight = null;
      });
      return this.#inFlight;
    }
    // The flush under way may have begun before this commit: the one after it covers it.
    this.#next ??= this.#inFlight
      .catch(() => undefined)
      .then(() => {
        this.#next = null;
        return this.durable();
      });
    return this.#next;
  }

  /** Waits for the flushes under way (at close). */
  async settled(): Promise<void> {
    while (this.#inFlight || this.#next) await (this.#next ?? this.#inFlight)?.catch(() => undefined);
  }
}

/** fdatasync of a file that may not exist yet (SQLite creates the WAL at the first write), through a held descriptor. */
export function fileSync(path: string): { flush: () => Promise<void>; close: () => void } {
  let fd: number | null = null;
  return {
    flush: () =>
      new Promise((resolve, reject) => {
        // fsync works on the file, not on the descriptor: ours covers what SQLite wrote through its own.
        fd ??= openSync(path, 'r');
        fdatasync(fd, (e) => (e ? reject(e) : resolve()));
      }),
    close: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
