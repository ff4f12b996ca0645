// What joinSwarm (swarm.ts) is given and what it returns: a project's room as the page sees it.
import type { BlobManifest, HeldUnit, PeerPresence, PeerRoom } from '@bricolage/protocol/peer';
import type { ExchangeStats } from './blob-exchange';
import type { HeldCounts } from './held-units';
import type { PeerView } from './presence';
import type { Proven } from './presence-proofs';
import type { WitnessAlarm, WitnessStats } from './witness';

export interface SwarmOptions {
  /** The room as the coordinator handed it (`GET /v1/volunteer/peer-room`). */
  readonly room: PeerRoom;
  /** The coordinator's origin: the signaling WebSocket is there, at `room.signaling`. */
  readonly coordinator: string;
  /** The coordinator's public key, as this volunteer trusts it: tree heads are checked against it. */
  readonly coordinatorKey: string;
  /** The chunk manifest of a blob from the coordinator; null when it cannot be had. */
  manifest(hash: string): Promise<BlobManifest | null>;
  /** A consistency proof from the coordinator; throws when it cannot be had. */
  consistency(from: number, to: number): Promise<unknown>;
  /** A fresh room (with a new ticket) from the coordinator, when the old ticket expired; null when unreachable. */
  renewRoom(): Promise<PeerRoom | null>;
  /**
   * The volunteer this tab computes as: its key is announced with a proof (its signature on each state of this
   * tab's presence under its awareness id: presence-publisher.ts), so peers show it as this volunteer. Absent: nobody.
   */
  readonly identity?: { readonly key: string; sign(message: Uint8Array): Promise<string> };
  /** Most WebRTC connections (default 16). */
  readonly maxConns?: number;
  /**
   * Most connections not yet established that one volunteer key may have with this tab (default 4, of the 32
   * this tab answers and starts): what one key's fake offers can hold while real peers still get in.
   */
  readonly maxPendingPerKey?: number;
  /**
   * Most connections, working or not, that one volunteer key may have with this tab (default 4: a volunteer's few
   * tabs), so that no key fills the tab's connections with ones it completes.
   */
  readonly maxConnsPerKey?: number;
  /** Bytes of verified blobs kept to serve (default 128 MiB). */
  readonly shelfBytes?: number;
  /**
   * How long the first fetch waits at most for the room to settle, its peers found and synced (default 10 s: a
   * room of eight took seconds to form on a busy machine, and every fetch that gives up costs the coordinator).
   */
  readonly settleMs?: number;
  /**
   * Told, a line at a time, what the room's connections and signaling do (conn-trace.ts, signal-gate.ts, the
   * watchdog): for debugging a mesh that does not form. Absent, only a page opened with `?trace=peers` traces
   * (into the console, at debug level).
   */
  trace?(line: string): void;
}

/**
 * What this volunteer says about itself; the swarm adds the project, its key and the proof of it (from
 * `identity`), its blobs and its newest tree head.
 */
export type OwnPresence = Omit<PeerPresence, 'v' | 'project' | 'volunteer' | 'proof' | 'at' | 'blobs' | 'head'>;

/** A peer as the view lists it: its presence, and whether the volunteer key it names is proven (presence-proofs.ts). */
export interface SwarmPeer extends PeerView {
  readonly proven: Proven;
}

export interface SwarmView {
  readonly project: string;
  /** This volunteer's awareness client id. */
  readonly self: number;
  /** Every peer whose presence parsed, this volunteer first. */
  readonly peers: readonly SwarmPeer[];
  readonly combinedRate: number;
  /** WebRTC connections open now, and whether the signaling WebSocket is. */
  readonly connections: number;
  readonly signaling: boolean;
  /**
   * Whether /signal told this tab the sender tag its messages carry, and its peer id names it (own-peer-id.ts).
   * Without it (a coordinator older than this page) no peer takes this tab's signals: it connects to none.
   */
  readonly tagged: boolean;
  readonly units: HeldCounts;
  readonly blobs: ExchangeStats & { readonly bytesFromCoordinator: number };
  readonly alarms: readonly WitnessAlarm[];
  readonly witness: WitnessStats;
  /** Connections the watchdog reset. */
  readonly resets: number;
  /**
   * Signaling messages kept from y-webrtc (signal-gate.ts): a key past its share of unestablished connections,
   * speaking as another key's peer id, or not as /signal relays and y-webrtc sends them.
   */
  readonly refusedSignals: Readonly<{ overShare: number; notTheirs: number; unreadable: number }>;
  /** Presence states that did not parse (ignored). */
  readonly invalidPresence: number;
  /** Presence states past the most read (presence.ts, MAX_PEERS_READ): neither listed nor counted. */
  readonly unreadPresence: number;
}

export interface Swarm {
  readonly project: string;
  view(): SwarmView;
  /** Called whenever the view may have changed. */
  subscribe(listener: () => void): () => void;
  setPresence(presence: OwnPresence): void;
  /** Resolves once the room is known (peers found and synced, or nobody there), or after `settleMs`. */
  ready(): Promise<void>;
  /**
   * The blob from peers (checked chunk by chunk), or null: then ask the coordinator, and `keep` what it sends.
   * `spentMs`: how long ago it was first asked for (of other rooms): its fetch's deadline counts from then.
   */
  fetchBlob(hash: string, spentMs?: number): Promise<Uint8Array | null>;
  /** A blob this volunteer got from the coordinator (already checked against its hash): served to peers. */
  keep(hash: string, bytes: Uint8Array): void;
  hold(lease: string, unit: { workUnit: string | null; job: string | null; state: HeldUnit['state'] }): void;
  release(lease: string): void;
  /** A signed tree head this volunteer read from the coordinator. */
  observeHead(sth: unknown): Promise<void>;
  /** The coordinator answers again: check what could not be checked. */
  coordinatorBack(): void;
  leave(): void;
}
