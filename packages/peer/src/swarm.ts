// One project's room: a Yjs doc and its awareness, shared over the stock y-webrtc provider, signaled through the
// coordinator's /signal, encrypted with the room secret the coordinator hands signed-in volunteers. Around it:
// presence, the held units, the blob exchange on each connection, the log witness, a watchdog for stuck
// connections, and a gate on signaling that keeps one volunteer key to a small share of the unestablished ones.
// Everything peers say is parsed and checked here before the page sees it.
import type { PeerPresence, PeerRoom } from '@bricolage/protocol/peer';
import { WebrtcProvider } from 'y-webrtc';
import * as Y from 'yjs';
import { fetchTimeLeftMs } from './blob-exchange';
import { ConnHearing } from './conn-hearing';
import { addressTrace, traceConn } from './conn-trace';
import { HeadGossip } from './head-gossip';
import { HeldUnits } from './held-units';
import { JoinedCount } from './joined-count';
import { OwnPeerId } from './own-peer-id';
import { dropStuckPending, syncStep1 } from './pending-updates';
import { PresencePublisher } from './presence-publisher';
import { combinedRate, readPeers } from './presence';
import { PresenceProofs } from './presence-proofs';
import { RoomAwareness } from './room-awareness';
import { untilSettled } from './room-settle';
import { SignalGates } from './signal-gate';
import { blobLinks, type ConnWithPeer } from './swarm-blobs';
import { BlobShelf } from './shelf';
import { Watchdog } from './watchdog';
import type { OwnPresence, Swarm, SwarmOptions } from './swarm-api';
import { LogWitness } from './witness';

export type { OwnPresence, Swarm, SwarmOptions, SwarmPeer, SwarmView } from './swarm-api';

const SWEEP_MS = 30_000;
const TICK_MS = 1000;
const MAX_ANNOUNCED_BLOBS = 64;
const LINK_WAIT_MS = 10_000;

export function joinSwarm(options: SwarmOptions): Swarm {
  const trace = options.trace ?? addressTrace();
  const doc = new Y.Doc();
  const project = options.room.project;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  const shelf = new BlobShelf(options.shelfBytes);
  const held = new HeldUnits(doc.getMap('units'), doc.clientID, Date.now);
  let room = options.room;
  let own: OwnPresence | null = null;
  let bytesFromCoordinator = 0;
  let left = false;
  let provider: WebrtcProvider;
  const awareness = new RoomAwareness(doc);
  const proofs = new PresenceProofs({ project, changed });
  const presence = new PresencePublisher({
    project,
    client: awareness.clientID,
    ...(options.identity ? { identity: options.identity } : {}),
    send: (state) => provider.awareness.setLocalState(state),
  });

  const witness = new LogWitness({ publicKey: options.coordinatorKey, consistency: options.consistency });
  const maxConns = options.maxConns ?? 16;
  const { exchange, wrtc } = blobLinks({
    self: doc.clientID,
    shelf,
    holds: (peer, hash) => presenceOf(peer)?.blobs.includes(hash as never) ?? false,
    changed,
    maxConns,
    conns,
    senderOf: (peer) => gates.senderOf(peer),
  });

  function conns(): Map<string, ConnWithPeer> {
    return (provider.room?.webrtcConns ?? new Map()) as unknown as Map<string, ConnWithPeer>;
  }

  const carried = new ConnHearing();
  const listening = new WeakSet<object>();
  const gates = new SignalGates({
    maxPendingPerSender: options.maxPendingPerKey ?? 4,
    maxPerSender: options.maxConnsPerKey ?? 4,
    heard: (conn) => carried.heard(conn),
    ...(trace ? { trace } : {}),
  });
  function listen(): void {
    for (const [id, conn] of conns()) {
      if (listening.has(conn)) continue;
      listening.add(conn);
      if (trace) traceConn(id, conn, trace);
      conn.peer.on('data', (message) => {
        const { firstData, firstAwareness } = carried.receive(conn, message);
        if (firstData) trace?.(`conn ${id}: first data`);
        if (firstAwareness) trace?.(`conn ${id}: first awareness`);
        boundPending();
      });
    }
  }

  /** Pending updates past the bound are dropped (pending-updates.ts), and what they held asked of every peer. */
  function boundPending(): void {
    if (!dropStuckPending(doc)) return;
    const step1 = syncStep1(doc);
    for (const conn of conns().values())
      try {
        conn.peer.send(step1);
      } catch (error) {
        void error; // A connection closing: it syncs afresh if it comes back.
      }
  }

  const joined = new JoinedCount();
  const deafen: (() => void)[] = [];
  let named: OwnPeerId;

  function connect(r: PeerRoom): WebrtcProvider {
    const signaling = options.coordinator.replace(/^http/, 'ws').replace(/\/+$/, '') + r.signaling;
    const next = new WebrtcProvider(r.room, doc, {
      signaling: [signaling],
      password: r.secret,
      maxConns,
      // Tabs of one browser profile share a BroadcastChannel room; they still get a WebRTC connection each.
      filterBcConns: true,
      // One awareness for the swarm's life (it carries over to a renewed provider), guarded against peers.
      awareness,
      // No public ICE server, ever, unless the coordinator names one: the default would reach out to Google.
      peerOpts: { config: { iceServers: [...r.iceServers] }, wrtc },
    });
    // A new connection is listened to before it can carry anything (y-webrtc emits this as it makes one).
    next.on('peers', () => {
      listen();
      changed();
    });
    next.on('synced', changed);
    deafen.push(...joined.hear(next.signalingConns, r.room));
    deafen.push(gates.gate(next, r.room));
    named = new OwnPeerId(next, r.room, trace);
    const naming = named;
    deafen.push(() => naming.close());
    // y-webrtc opens its room (and picks this tab's peer id) once the room's key is derived.
    void next.key.then(() => trace?.(`joined ${r.room} as ${next.room?.peerId}`));
    return next;
  }
  provider = connect(room);

  function presenceOf(peer: number): PeerPresence | null {
    return (
      readPeers(new Map([[peer, provider.awareness.getStates().get(peer)]]), project, doc.clientID).peers[0]
        ?.presence ?? null
    );
  }

  function publish(): void {
    if (!own || left) return;
    presence.publish({
      v: 1,
      project: project as PeerPresence['project'],
      ...own,
      rate: Math.round(own.rate * 10) / 10,
      blobs: shelf.hashes(MAX_ANNOUNCED_BLOBS) as PeerPresence['blobs'],
      head: witness.newestOwn(),
    });
  }

  const gossip = new HeadGossip(witness, doc.getMap<unknown>('evidence'), changed);
  const onAwareness = () => {
    void gossip.heard(readPeers(provider.awareness.getStates(), project, doc.clientID).peers);
    changed();
  };
  provider.awareness.on('change', onAwareness);
  doc.getMap('units').observe(changed);

  const watchdog = new Watchdog({
    conns: () => conns().entries(),
    now: Date.now,
    heard: (conn) => carried.heard(conn),
    onReset: (peer, why) => {
      trace?.(`watchdog reset ${peer}: ${why}`);
      changed();
    },
  });
  let renewing = false;
  const tick = setInterval(() => {
    listen();
    // Also here: a message that made y-webrtc throw never reaches the listener above.
    boundPending();
    watchdog.tick();
    void renewIfExpired();
    // Re-signs an unchanged state as its proof ages, whether or not the page sets its presence again.
    publish();
  }, TICK_MS);
  const sweep = setInterval(() => held.sweep(present()), SWEEP_MS);

  /** A ticket opens new signaling connections only until it expires: after that, rejoin with a fresh one. */
  async function renewIfExpired(): Promise<void> {
    const signalingUp = provider.signalingConns.some((c) => c.connected);
    if (renewing || signalingUp || Date.now() < room.ticketExpiresAt - 60_000) return;
    renewing = true;
    try {
      const fresh = await options.renewRoom();
      if (!fresh || left) return;
      room = fresh;
      // The doc and the awareness carry over to the new provider; only the signaling URL changes.
      provider.awareness.off('change', onAwareness);
      for (const off of deafen) off();
      provider.disconnect();
      provider.destroy();
      provider = connect(room);
      provider.awareness.on('change', onAwareness);
      publish();
    } finally {
      renewing = false;
    }
  }

  function present(): Set<number> {
    return new Set(readPeers(provider.awareness.getStates(), project, doc.clientID).peers.map((p) => p.id));
  }

  /** Whether any peer of the room (heard through any peer: awareness is relayed) says it holds the blob. */
  function heldByAnyone(hash: string): boolean {
    return readPeers(provider.awareness.getStates(), project, doc.clientID).peers.some(
      (p) => !p.self && p.presence.blobs.includes(hash as never),
    );
  }

  /**
   * Whether a peer that says it holds the blob has its blob channel open. One whose presence says so (heard
   * through any peer: awareness is relayed) but whose connection is still forming is waited for, up to
   * LINK_WAIT_MS: in a room of eight the mesh takes seconds to form here, and the wait is what saves the
   * coordinator sending the blob again.
   */
  async function linkedHolder(hash: string, waitMs: number): Promise<boolean> {
    const holds = (peer: number) => presenceOf(peer)?.blobs.includes(hash as never) ?? false;
    const linked = () => exchange.peers().some(holds);
    if (linked()) return true;
    if (!heldByAnyone(hash)) return false;
    return new Promise((resolve) => {
      const done = (found: boolean) => {
        clearTimeout(timer);
        listeners.delete(check);
        resolve(found);
      };
      const check = () => {
        if (linked()) done(true);
      };
      const timer = setTimeout(() => done(linked()), waitMs);
      listeners.add(check);
    });
  }

  let settled: Promise<void> | null = null;
  const joinedAt = Date.now();
  /**
   * Until the room is known (room-settle.ts: each connection's peer's awareness come over it, none new for a while,
   * and at least as many as the signaling server said others were there; or nobody there a while after the
   * signaling connected), or settleMs. A lone volunteer's first asset fetch waits that long for nothing; one with
   * peers waits until they can serve it.
   */
  function settle(): Promise<void> {
    settled ??= (async () => {
      const { settled, conns: seen } = await untilSettled({
        deadline: joinedAt + (options.settleMs ?? 10_000),
        now: Date.now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        signaling: () => provider.signalingConns.some((c) => c.connected),
        conns,
        others: () => joined.others,
        senders: () => joined.senders,
        senderOf: (peer) => gates.senderOf(peer),
        hearing: carried,
        left: () => left,
      });
      const after = `after ${Date.now() - joinedAt} ms: ${seen} conns, ${joined.others} others at join`;
      trace?.(settled ? `room settled ${after}` : `room not settled ${after}`);
    })();
    return settled;
  }

  return {
    project,
    view() {
      const states = readPeers(provider.awareness.getStates(), project, doc.clientID);
      // A row whose newest state is being checked shows its last proven state meanwhile.
      const peers = states.peers.map((p) => ({ ...p, ...proofs.read(p.id, p.presence) }));
      const { invalid, unread } = states;
      return {
        project,
        self: doc.clientID,
        peers,
        combinedRate: combinedRate(peers),
        connections: [...conns().values()].filter((c) => c.connected).length,
        signaling: provider.signalingConns.some((c) => c.connected),
        tagged: named.tagged,
        units: held.counts(new Set(peers.map((p) => p.id))).total,
        blobs: { ...exchange.stats(), bytesFromCoordinator },
        alarms: witness.alarms(),
        witness: witness.stats(),
        resets: watchdog.resets,
        refusedSignals: gates.refused,
        invalidPresence: invalid,
        unreadPresence: unread,
      };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setPresence(presence) {
      own = presence;
      publish();
    },
    ready: settle,
    async fetchBlob(hash, spentMs = 0) {
      const cached = shelf.get(hash);
      if (cached) return cached;
      const asked = Date.now();
      await settle();
      // The manifest first, where some peer says it holds the blob: its size says how long is left of the fetch's
      // one deadline across the rooms (blob-exchange.ts), which bounds the wait for that peer's link too.
      const someone = heldByAnyone(hash) || exchange.peers().some((p) => presenceOf(p)?.blobs.includes(hash as never));
      const manifest = someone ? await options.manifest(hash) : null;
      const left = manifest ? fetchTimeLeftMs(manifest.size, spentMs + Date.now() - asked) : 0;
      const linked = left > 0 && (await linkedHolder(hash, Math.min(LINK_WAIT_MS, left)));
      trace?.(
        `blob ${hash.slice(0, 12)}: ${linked ? 'asked of a holder' : 'no holder linked'}, ${present().size} in the room's presence`,
      );
      if (!linked || !manifest) return null;
      const result = await exchange.fetch(hash, manifest, spentMs + Date.now() - asked);
      if (!result.ok) return null;
      shelf.put(hash, result.bytes);
      publish();
      return result.bytes;
    },
    keep(hash, bytes) {
      if (shelf.has(hash)) return;
      bytesFromCoordinator += bytes.length;
      exchange.fellBack();
      shelf.put(hash, bytes);
      publish();
      changed();
    },
    hold: (lease, unit) => held.hold(lease, unit),
    release: (lease) => held.release(lease),
    async observeHead(sth) {
      const newest = witness.newestOwn();
      const alarms = witness.alarms().length;
      await witness.observe(sth, 'self');
      if (witness.newestOwn() !== newest) publish();
      await gossip.heard(readPeers(provider.awareness.getStates(), project, doc.clientID).peers);
      // A split view found against this volunteer's own head is evidence for the room too.
      if (witness.alarms().length !== alarms) gossip.share();
    },
    coordinatorBack() {
      void witness.recheck().then(() => gossip.share());
    },
    leave() {
      if (left) return;
      left = true;
      clearInterval(tick);
      clearInterval(sweep);
      provider.awareness.off('change', onAwareness);
      for (const off of deafen) off();
      provider.disconnect();
      provider.destroy();
      doc.destroy();
      listeners.clear();
    },
  };
}
