// Resets WebRTC connections that are stuck: connected but never synced (what crossing offers left, about 1 in 20
// simultaneous starts, until the signal gate settled them: glare.ts) or never connected at all. A reset connection
// is closed; y-webrtc then announces itself again and the pair starts over.

/** The part of y-webrtc's WebrtcConn the watchdog reads. */
export interface WatchedConn {
  readonly connected: boolean;
  readonly synced: boolean;
  readonly closed: boolean;
  destroy(): void;
}

export interface WatchdogOptions {
  /** The room's current connections, by remote peer id. */
  conns(): Iterable<[string, WatchedConn]>;
  now(): number;
  /** Connected this long without a sync: reset (default 5 s; a sync takes milliseconds). */
  readonly syncTimeoutMs?: number;
  /** Not connected this long after it was first seen: reset (default 15 s). */
  readonly connectTimeoutMs?: number;
  /**
   * Whether the peer has sent anything over this connection. y-webrtc marks a connection synced only when its
   * sync step 2 arrives while the room as a whole is not synced (y-webrtc.js, readMessage): one added to an
   * already synced room keeps `synced: false` for ever, though it works. A connection that has carried data is
   * not stuck, whatever its flag says.
   */
  heard?(conn: WatchedConn): boolean;
  onReset?(peer: string, why: string): void;
}

export class Watchdog {
  readonly #o: WatchdogOptions;
  readonly #seen = new Map<WatchedConn, { since: number; connectedAt: number | null }>();
  #resets = 0;

  constructor(options: WatchdogOptions) {
    this.#o = options;
  }

  get resets(): number {
    return this.#resets;
  }

  /** Looks at every connection once; returns how many were reset. */
  tick(): number {
    const now = this.#o.now();
    const present = new Set<WatchedConn>();
    let reset = 0;
    for (const [peer, conn] of this.#o.conns()) {
      present.add(conn);
      if (conn.closed || conn.synced || this.#o.heard?.(conn)) {
        this.#seen.delete(conn);
        continue;
      }
      const seen = this.#seen.get(conn) ?? { since: now, connectedAt: null };
      this.#seen.set(conn, seen);
      if (conn.connected) seen.connectedAt ??= now;
      const why =
        seen.connectedAt !== null
          ? now - seen.connectedAt >= (this.#o.syncTimeoutMs ?? 5000)
            ? 'connected but never synced'
            : null
          : now - seen.since >= (this.#o.connectTimeoutMs ?? 15_000)
            ? 'never connected'
            : null;
      if (!why) continue;
      this.#seen.delete(conn);
      conn.destroy();
      reset++;
      this.#o.onReset?.(peer, why);
    }
    for (const conn of [...this.#seen.keys()]) if (!present.has(conn)) this.#seen.delete(conn);
    this.#resets += reset;
    return reset;
  }
}
