// Messages to every coordinator process of one grid, per topic: job progress changes (SSE streams are held by
// whichever process a researcher reached) and bans (each process closes the key's signaling), the y-webrtc
// signalling rooms when they come. One process alone uses the in-process implementation; several on one Postgres
// use LISTEN/NOTIFY (../store/postgres/pg-broadcast.ts).

export type BroadcastListener = (message: string) => void;

export interface Broadcast {
  /**
   * Sends `message` to every subscriber of `topic` in every process, this one included, at most once
   * each and in the order this process published. Best effort: a process that was down misses it.
   */
  publish(topic: string, message: string): void;
  /** Calls `listener` with each message on `topic` until the returned function is called. */
  subscribe(topic: string, listener: BroadcastListener): () => void;
  close(): Promise<void>;
}

/** Routes messages to local listeners: what every implementation does on arrival. */
export class Subscribers {
  readonly #topics = new Map<string, Set<BroadcastListener>>();

  constructor(private readonly onError: (e: Error) => void) {}

  add(topic: string, listener: BroadcastListener): () => void {
    let set = this.#topics.get(topic);
    if (!set) {
      set = new Set();
      this.#topics.set(topic, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#topics.get(topic) === set) this.#topics.delete(topic);
    };
  }

  deliver(topic: string, message: string): void {
    for (const listener of [...(this.#topics.get(topic) ?? [])]) {
      try {
        listener(message);
      } catch (e) {
        this.onError(e as Error);
      }
    }
  }

  clear(): void {
    this.#topics.clear();
  }
}
