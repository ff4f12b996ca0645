// Offers that cross ("glare"): two tabs that hear each other's announce at once both open a connection and both
// offer. y-webrtc keeps the offer with the larger token, and the other tab takes that offer into the connection
// that made its own: simple-peer's offering side never listens for the remote's data channel, so both ends
// connect, each on the channel it made, and hear nothing. The watchdog resets such a pair 5 s later ("connected
// but never synced"); the closes make both tabs announce again at once, and they cross again: the WebRTC tests
// saw pairs reconnect every ~7 s, and a mesh of three stay at two connections for a minute. So the tab whose offer
// loses closes its offering connection first, and y-webrtc answers the winning offer with a fresh one.

/** y-webrtc's WebrtcConn as far as glare is read from it. */
export interface GlareConn {
  readonly connected: boolean;
  readonly closed: boolean;
  /** When this tab offered (y-webrtc stamps its first signal); undefined before it has, or once answered. */
  readonly glareToken?: number | undefined;
  readonly peer: { readonly initiator: boolean };
  destroy(): void;
}

/** The part of a room's signal that glare is read from (RoomSignal). */
export interface OfferSignal {
  readonly type: string;
  readonly from: string;
  /** When the remote tab offered (its glareToken); y-webrtc compares it with this tab's. */
  readonly token?: unknown;
  readonly signal?: { readonly type?: unknown } | undefined;
}

/**
 * This tab's connection that `signal` would be answered on although it offered itself: `signal` is an offer from
 * a peer this tab is offering to, not yet connected, and y-webrtc would take it (y-webrtc.js, execMessage: it
 * drops the remote offer only when its own token is the larger). Null when there is no such connection.
 */
export function losingOffer(conns: ReadonlyMap<string, unknown>, signal: OfferSignal): GlareConn | null {
  if (signal.type !== 'signal' || signal.signal?.type !== 'offer') return null;
  const conn = conns.get(signal.from) as GlareConn | undefined;
  if (!conn || conn.closed || conn.connected || !conn.peer.initiator) return null;
  const local = conn.glareToken;
  if (local && local > Number(signal.token)) return null;
  return conn;
}

/**
 * Closes the losing connection and waits until y-webrtc has let it go (it does on simple-peer's `close`, a tick
 * later), so that the offer then opens a fresh answering connection; gives up waiting after `waitMs`.
 */
export async function closeLosing(
  conns: ReadonlyMap<string, unknown>,
  peer: string,
  conn: GlareConn,
  waitMs = 2000,
): Promise<boolean> {
  conn.destroy();
  const until = Date.now() + waitMs;
  while (conns.get(peer) === conn) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
