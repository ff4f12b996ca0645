// The broadcast of coordinators sharing one Postgres: NOTIFY on one channel, every process LISTENing on a
// connection of its own. Postgres delivers a notification to every listener once its transaction commits,
// the publisher's own process included, so local subscribers hear it the same way as remote ones.
import type pg from 'pg';
import { type Broadcast, type BroadcastListener, Subscribers } from '../../broadcast/broadcast';

const CHANNEL = 'bricolage';
/** Postgres refuses a payload of 8000 bytes or more. */
const MAX_PAYLOAD = 7999;
const RECONNECT_MS = 1000;

export class PgBroadcast implements Broadcast {
  readonly #subscribers: Subscribers;
  #listener: pg.Client | null = null;
  #publishing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connect: () => pg.Client,
    private readonly onError: (e: Error) => void,
  ) {
    this.#subscribers = new Subscribers(onError);
  }

  /** Starts listening; resolves once LISTEN is in place, so nothing published after it is missed. */
  async start(): Promise<void> {
    const client = this.connect();
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || n.payload === undefined) return;
      let parsed: { t: string; m: string };
      try {
        parsed = JSON.parse(n.payload) as { t: string; m: string };
      } catch (e) {
        this.onError(e as Error);
        return;
      }
      this.#subscribers.deliver(parsed.t, parsed.m);
    });
    // A lost connection loses the messages sent while it is down (best effort), and is made again.
    const lost = (e?: Error) => {
      if (this.#listener !== client) return;
      this.#listener = null;
      if (e) this.onError(e);
      client.end().catch(() => undefined);
      if (!this.#closed)
        setTimeout(() => void this.start().catch((err: Error) => this.onError(err)), RECONNECT_MS).unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    this.#listener = client;
    await client.query(`LISTEN ${CHANNEL}`);
  }

  publish(topic: string, message: string): void {
    if (this.#closed) return;
    const payload = JSON.stringify({ t: topic, m: message });
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      this.onError(new Error(`a broadcast on ${topic} of ${payload.length} bytes is over Postgres's limit`));
      return;
    }
    // One after another: this process's messages arrive in the order it sent them.
    this.#publishing = this.#publishing
      .then(async () => {
        await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
      })
      .catch((e: Error) => this.onError(e));
  }

  subscribe(topic: string, listener: BroadcastListener): () => void {
    return this.#subscribers.add(topic, listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#publishing;
    const client = this.#listener;
    this.#listener = null;
    this.#subscribers.clear();
    await client?.end().catch(() => undefined);
  }
}
