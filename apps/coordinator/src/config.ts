// Operator-tunable limits. Defaults suit one small machine; every cap is a reason to answer 4xx, not to fall over.
import type { IceServer } from '@bricolage/protocol/peer';
import type { ConnectionLimits } from './http/connections';
import type { RateLimit } from './http/rate-limit';
import { type CreditPolicy, DEFAULT_CREDIT } from './rules/credit';
import { DEFAULT_LEASE_ROOM, type LeaseRoomPolicy } from './rules/lease-limits';

/** Limits of the signaling WebSocket (/signal); hitting one closes that connection with a 4xxx code and a log line. */
export interface SignalLimits {
  /** One message (y-webrtc's offers and answers are a few KB, encrypted). */
  readonly maxMessageBytes: number;
  /** Rooms one connection may subscribe to. */
  readonly maxTopicsPerConnection: number;
  /**
   * Subscribers of one room on this process (each publish goes to all of them); past it a subscription is not
   * taken and the client meets no peers there. y-webrtc connects each tab to 20–35 peers at most.
   */
  readonly maxPeersPerRoom: number;
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

export interface CoordinatorConfig extends ConnectionLimits {
  /** JSON request bodies. */
  readonly maxJsonBytes: number;
  /** One blob upload (WGSL, wasm, ONNX model). */
  readonly maxBlobBytes: number;
  /** A blob in SQLite (a work-unit input, an asset from an older data directory) above this moves to the blob store when first read. */
  readonly blobFileThreshold: number;
  /** A response body above this holds one of `maxLargeResponses` slots while it is sent. */
  readonly largeResponseBytes: number;
  /** Large responses in flight at once; the next asks for a retry (429). */
  readonly maxLargeResponses: number;
  /** One line of an NDJSON work-unit upload. */
  readonly maxLineBytes: number;
  /** A whole NDJSON work-unit upload. */
  readonly maxUploadBytes: number;
  /**
   * Which peers' X-Forwarded-For to believe: addresses and CIDR blocks, or `loopback` / `private`, comma
   * separated (TRUST_PROXY). Empty: none, and the client is the socket's peer.
   */
  readonly trustProxy: string;
  /**
   * Client addresses whose volunteer keys may hold replicas of one work unit together and that the lease room's
   * new-key ramp and per-address ceiling leave alone (rules/assignment.ts, rules/lease-limits.ts): the
   * operator's own machines. Written as TRUST_PROXY is (SEPARATION_EXEMPT); empty: none. Behind a proxy
   * TRUST_PROXY must name it, or every volunteer has the proxy's address.
   */
  readonly separationExempt: string;
  /**
   * Other grids' logs (their coordinators' public keys) whose exports to this grid it honours: a volunteer moves
   * credit out of such a grid, presents the export here once, and it is credited here (HONOURED_LOGS, comma
   * separated). Empty: none.
   */
  readonly honouredLogs: readonly string[];
  /** Requests that prove no identity (public routes, challenges, tokens, failed sign-ins), per client address. */
  readonly perAddress: RateLimit;
  /** Reads of the public log (tree head, proofs, entries), per client address. */
  readonly logReads: RateLimit;
  /** Requests of a signed-in volunteer, per volunteer key. */
  readonly perVolunteer: RateLimit;
  /** Requests of a researcher, per project. */
  readonly perProject: RateLimit;
  /** Volunteer keys seen for the first time (a token for a key never seen before), per client address. */
  readonly newIdentities: RateLimit;
  /**
   * Leases one key may hold at once, however much it has delivered (rules/lease-limits.ts `perKey`); a device
   * whose reported speed needs more may hold one speed-sized lease's worth (rules/lease-size.ts `keyCeiling`).
   */
  readonly maxLeasesPerVolunteer: number;
  /** The rest of the lease room: a new key's, its growth per validated result, and one address's ceiling. */
  readonly leaseRoom: Omit<LeaseRoomPolicy, 'perKey'>;
  readonly inlineInputBytes: number;
  /** What a validated result may earn, whatever the job's price (rules/credit.ts). */
  readonly credit: CreditPolicy;
  /**
   * Inline inputs in one lease response, in all: a lease sized to a fast device holds hundreds of units. At 4 MiB
   * (512 cnn units, a sixth of a second of a 2-core tab's work) the tab ran dry between answers; at 8 MiB, with
   * the page leasing 1,024 ahead, it kept busy 0.80–0.91 of the time instead of 0.78–0.81 (bench:runtime,
   * 2026-12-03). An answer's bytes are held until sent: 8 MiB, or 11 MB of JSON for a client that takes base64.
   */
  readonly inlineLeaseBytes: number;
  readonly tokenSeconds: number;
  readonly challengeSeconds: number;
  /** How often expired leases are swept back into the queue. */
  readonly sweepMs: number;
  /**
   * After the grid was down, what its leases get besides the downtime: time for volunteers to find it back
   * (a page probes every 2 s; a browser closed meanwhile must be reopened before it delivers what it computed).
   */
  readonly reconnectGraceMs: number;
  /** How often a job's progress is read for its SSE streams (once per job, whatever the number of streams). */
  readonly progressEveryMs: number;
  /**
   * A job no coordinator announced a change to is read for its streams this often anyway: what no commit
   * announces (volunteers coming and going) changes its diagnosis.
   */
  readonly progressQuietMs: number;
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
  // Blobs stream from disk a chunk at a time, so a large response costs a file handle and ~256 KiB, not its
  // size. 32 at once covers the 16-tab farm fetching a model each (their inputs above 1 MiB come one per
  // work unit); past that, a 429 with Retry-After: 1 spreads the burst out.
  blobFileThreshold: 1024 * 1024,
  largeResponseBytes: 1024 * 1024,
  maxLargeResponses: 32,
  maxLineBytes: 32 * 1024 * 1024,
  maxUploadBytes: 8 * 1024 * 1024 * 1024,
  trustProxy: '',
  // A developer's `npm start` with two tabs, the farm (apps/farm) and every test run their volunteers from
  // loopback: they must still reach quorum. A public coordinator sees no volunteer there unless a proxy on its
  // own host forwards them, and then TRUST_PROXY must be set (README).
  separationExempt: 'loopback',
  // The limits are derived from what the shipped page and runtime send (apps/web/src/session.ts,
  // packages/runtime/src/pipeline), for the case the issue names: a farm of 16 tabs behind one NAT address.
  //
  // Per address, the anonymous surface. A tab polls /healthz every 2 s (not limited: it is answered from
  // memory, like the page's static files and the well-known document), lists projects on load and once a
  // minute, trades a challenge for a token on Start and then once per ~11 minutes (2 requests), GETs each
  // job's assets once (1-2) and each input over `inlineInputBytes` once per work unit, up to 16 fetched
  // ahead. A tab starting up makes up to ~22 such requests; 16 at once, ~350: burst 400. Steady state is a
  // request or two a second per tab even on large-input jobs: 16 tabs fit in 50/s.
  perAddress: { perSecond: 50, burst: 400 },
  // Per address, the log. Verify all fetches one inclusion proof per kept receipt, one after another, and a
  // consistency proof per tree head it stored (packages/receipts/src/audit.ts): a tab holding 20,000
  // receipts verifies them on the burst, and 500/s is faster than one tab checks them (a round trip plus
  // an Ed25519 and a Merkle check each). Reads only, O(log n) each; an entries page costs 1 per 10 receipts.
  logReads: { perSecond: 500, burst: 20_000 },
  // Per volunteer: the pipeline has at most one lease and one submit in flight and sends at most one of
  // each per work unit, so a tab sends ≤ 2 requests per work unit, plus a heartbeat every 5 s, a receipt
  // sync every 15 s and the page's counters. The fastest shipped workload ran 119 work units/s in one tab
  // (cnn on onnx-wasm, BENCHMARKS.md, browser runtime): 238/s. A receipt resync pages 100 at a time.
  perVolunteer: { perSecond: 250, burst: 500 },
  // Per project: a researcher's tools upload in streamed batches (one request each), PUT a few blobs, poll
  // progress (or hold one SSE stream) and stream results in one request. A script polling every 100 ms
  // sends 10/s; uploading a job's assets and its batches back to back is a burst of tens.
  perProject: { perSecond: 20, burst: 200 },
  // New identities per address: the 16-tab farm's first start is 16, a re-run on fresh profiles 16 more.
  // 64 at once, then 32 an hour: the audit measured 388 a second.
  newIdentities: { perSecond: 32 / 3600, burst: 64 },
  maxLeasesPerVolunteer: 256,
  leaseRoom: {
    newKey: DEFAULT_LEASE_ROOM.newKey,
    perValid: DEFAULT_LEASE_ROOM.perValid,
    perAddress: DEFAULT_LEASE_ROOM.perAddress,
  },
  honouredLogs: [],
  inlineInputBytes: 256 * 1024,
  credit: DEFAULT_CREDIT,
  inlineLeaseBytes: 8 * 1024 * 1024,
  tokenSeconds: 15 * 60,
  challengeSeconds: 120,
  sweepMs: 1000,
  // A stranded result of a short lease (a measured device's lasts its compute time twice plus 15 s) was refused
  // as expired when a loaded machine took longer than that to reopen the browser after the coordinator's restart.
  reconnectGraceMs: 60_000,
  progressEveryMs: 500,
  progressQuietMs: 5000,
  // Slow clients. A request head is a few hundred bytes: 10 s is ample on any link. A whole request gets 5
  // minutes: a researcher's NDJSON upload at 100 Mbit/s moves ~3.7 GB in that time; bigger batches are
  // split. A socket silent both ways for 30 s is dropped (an SSE stream sends a comment at least every
  // 15 s). A browser opens at most 6 connections per origin and profile, so the 16-tab farm behind one
  // address holds at most 96: 128.
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionsCheckMs: 1_000,
  maxConnectionsPerAddress: 128,
  peers: true,
  signal: {
    maxMessageBytes: 64 * 1024,
    maxTopicsPerConnection: 8,
    maxPeersPerRoom: 256,
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
