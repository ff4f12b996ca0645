// The broadcast of a coordinator that runs alone (SQLite): its own subscribers are everyone.
import { type Broadcast, type BroadcastListener, Subscribers } from './broadcast';

export class LocalBroadcast implements Broadcast {
  readonly #subscribers: Subscribers;

  constructor(onError: (e: Error) => void) {
    this.#subscribers = new Subscribers(onError);
  }

  publish(topic: string, message: string): void {
    // Later, as a NOTIFY arrives later: a publisher never runs its listeners inside its own call.
    queueMicrotask(() => this.#subscribers.deliver(topic, message));
  }

  subscribe(topic: string, listener: BroadcastListener): () => void {
    return this.#subscribers.add(topic, listener);
  }

  async close(): Promise<void> {
    this.#subscribers.clear();
  }
}
