// Operator-tunable limits. Defaults suit one small machine; every cap is a reason to answer 4xx, not to fall over.
import type { IceServer } from '@bricolage/protocol/peer';
import type { RateLimit } from './http/rate-limit';

/** Limits of the signaling WebSocket (/signal); hitting one closes that connection with a 4xxx code and a log line. */
export interface SignalLimits {
  /** One message (y-webrtc's offers and answers are a few KB, encrypted). */
  readonly maxMessageBytes: number;
  /** Rooms one connection may subscribe to. */
  readonly maxTopicsPerConnection: number;
  /** Open connections from one client address (every tab of a household shares one address behind NAT). */
  readonly maxConnectionsPerAddress: number;
  readonly maxConnections: number;
  /** Messages per second one connection may send, sustained, and in a burst (forming a mesh is bursty). */
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  /** How often the server pings; a connection that has not answered the previous ping by then is closed. */
  readonly pingMs: number;
  /** Bytes queued for one slow receiver before messages to it are dropped. */
  readonly maxBufferedBytes: number;
  /** How long a signaling ticket opens new connections (a connection open at expiry stays open). */
  readonly ticketSeconds: number;
  /** Handed to volunteers for their RTCPeerConnections: none by default (direct connections only). */
  readonly iceServers: readonly IceServer[];
}

export interface CoordinatorConfig {
  /** JSON request bodies. */
  readonly maxJsonBytes: number;
  /** One blob upload (WGSL, wasm, ONNX model). */
  readonly maxBlobBytes: number;
  /** One line of an NDJSON work-unit upload. */
  readonly maxLineBytes: number;
  /** A whole NDJSON work-unit upload. */
  readonly maxUploadBytes: number;
  readonly perAddress: RateLimit;
  readonly perVolunteer: RateLimit;
  readonly maxLeasesPerVolunteer: number;
  readonly inlineInputBytes: number;
  readonly tokenSeconds: number;
  readonly challengeSeconds: number;
  /** How often expired leases are swept back into the queue. */
  readonly sweepMs: number;
  /**
   * Whether volunteers may meet each other: the signaling WebSocket at /signal and the peer rooms. Off, they
   * work alone, each asset from the coordinator (tests outside a network namespace turn it off: see README).
   */
  readonly peers: boolean;
  readonly signal: SignalLimits;
}

export const DEFAULT_CONFIG: CoordinatorConfig = {
  maxJsonBytes: 16 * 1024 * 1024,
  maxBlobBytes: 256 * 1024 * 1024,
  maxLineBytes: 32 * 1024 * 1024,
  maxUploadBytes: 8 * 1024 * 1024 * 1024,
  perAddress: { perSecond: 5000, burst: 10000 },
  perVolunteer: { perSecond: 200, burst: 400 },
  maxLeasesPerVolunteer: 256,
  inlineInputBytes: 256 * 1024,
  tokenSeconds: 15 * 60,
  challengeSeconds: 120,
  sweepMs: 1000,
  peers: true,
  signal: {
    maxMessageBytes: 64 * 1024,
    maxTopicsPerConnection: 8,
    maxConnectionsPerAddress: 64,
    maxConnections: 10_000,
    messagesPerSecond: 50,
    messageBurst: 400,
    pingMs: 30_000,
    maxBufferedBytes: 1024 * 1024,
    ticketSeconds: 24 * 60 * 60,
    iceServers: [],
  },
};
