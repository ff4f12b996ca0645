// What the signaling server is to the rest of the coordinator: its counts, its close, and the stand-in for a
// coordinator with peers turned off.

export type Refusal = 'not_found' | 'unauthorized' | 'banned' | 'too_many_connections';
export type Closure = 'bad_message' | 'forbidden_topic' | 'too_large' | 'too_many' | 'timeout' | 'banned';

/** What the signaling server has done since it started: tests and operators read it. */
export interface SignalStats {
  readonly connections: number;
  readonly accepted: number;
  /** Handshakes answered with an HTTP 4xx instead of a WebSocket. */
  readonly refused: Readonly<Record<Refusal, number>>;
  /** Connections the server closed because a limit or a rule was broken. */
  readonly closed: Readonly<Record<Closure, number>>;
  /**
   * Subscriptions not taken because the room already had `maxPeersPerRoom` subscribers: the connection stays
   * open (its other rooms served), and the client finds no peers there, as in a room with nobody in it.
   */
  readonly roomFull: number;
  /** Messages delivered to a subscriber. */
  readonly relayed: number;
  /** Publishes not relayed: to a room the sender left, or to a receiver too slow to keep up. */
  readonly dropped: Readonly<{ unsubscribed: number; slowReceiver: number }>;
}

export interface Signaling {
  stats(): SignalStats;
  /**
   * Closes the key's open connections (4401): the operator banned it. Its handshakes look the ban up themselves;
   * this is for the sockets that opened before. Returns how many were open here.
   */
  closeBanned(volunteer: string): number;
  /** Closes every connection (1001) and stops accepting new ones. */
  close(): Promise<void>;
}

/** SignalStats' counts, as the server keeps them. */
interface SignalCounts {
  accepted: number;
  refused: Record<Refusal, number>;
  closed: Record<Closure, number>;
  roomFull: number;
  relayed: number;
  dropped: { unsubscribed: number; slowReceiver: number };
}

/** What a signaling server counts, all at zero: where a server's counts start, and all a server turned off has. */
export function zeroSignalCounts(): SignalCounts {
  return {
    accepted: 0,
    refused: { not_found: 0, unauthorized: 0, banned: 0, too_many_connections: 0 },
    closed: { bad_message: 0, forbidden_topic: 0, too_large: 0, too_many: 0, timeout: 0, banned: 0 },
    roomFull: 0,
    relayed: 0,
    dropped: { unsubscribed: 0, slowReceiver: 0 },
  };
}

/** A coordinator with peers turned off: nothing listens for /signal (an upgrade request finds no handler). */
export const NO_SIGNALING: Signaling = {
  stats: () => ({ connections: 0, ...zeroSignalCounts() }),
  closeBanned: () => 0,
  close: async () => undefined,
};
