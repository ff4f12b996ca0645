// When a room is known well enough for the first asset fetch to ask it. Its peers are heard through connections
// that form one by one as they answer this tab's announcement; each brings the presence of the peers it knows.
// Settled as soon as the connections open were synced, a tab joining beside another had synced with that one
// alone, and asked the coordinator for the .wasm a third peer held (the ONNX mesh test, 3 times in 7 with the join
// a few milliseconds later): the holder's own connection came after. And a pause in answers is only a guess: on a
// loaded machine the peers already there took longer than QUIET_MS to answer at all, and a tab settled alone
// beside them (the ONNX mesh test in CI; 1 run in 4 here with the cores kept busy). So the signaling server says,
// as it takes the subscription, how many others the room has and the sender tags of the first few (`SignalJoined`):
// the room is not known before a connection from each of those (up to EXPECTED_AT_MOST) is open and heard from, or
// until the swarm's deadline. Counting connections was not enough: a tab that joined just after this one connects
// too, and may come first (the ONNX mesh test, the first of two tabs started together: the other tab's connection
// was heard, the holder's came 670 ms after it, and the tab fetched the .wasm from the coordinator). Counting only
// the connections the others opened was not either: when two tabs' offers cross, the losing tab answers on a fresh
// connection (glare.ts), which then reads as opened by the other (the same test, 1 run in 6 with the cores busy).
// Where the server names no senders, connections the others opened (`answered`) are counted, as before. A
// connection is heard from once the peer's awareness came over it, not its first data: the holder's sync reply came
// 1.8 s before its presence, and a tab settled in between (conn-hearing.ts).

import { JOINED_SENDERS } from '@bricolage/protocol/peer';
import type { ConnHearing } from './conn-hearing';

/** Others waited for at most: awareness is relayed, so a few peers tell of the whole room; all may be too many. */
export const EXPECTED_AT_MOST = JOINED_SENDERS;

/** Peers answer an announcement within a round trip or two: the room is taken as known after this long unchanged. */
export const QUIET_MS = 500;

export interface SeenConnection {
  /**
   * The peer's awareness has come over it (conn-hearing.ts): its presence, and those it relays, are known. Not its
   * sync reply, nor y-webrtc's `synced`: a peer answers this tab's sync step 1 at once, but sends its awareness only
   * when its own side says connected, seconds later on a loaded machine.
   */
  readonly heard: boolean;
  /**
   * The remote peer opened it, answering this tab's announcement: a peer that was in the room when this tab joined.
   * (A peer that joins later announces itself, and this tab opens the connection to it.)
   */
  readonly answered: boolean;
  /** The sender tag of whoever opened it (SignalRelay.sender), when the signal gate saw it. */
  readonly sender?: string | undefined;
}

export class RoomSettle {
  #since: number | null = null;
  #ids = '';
  #signaling = false;

  /**
   * Whether the room is settled, from what is seen at `now`: the signaling up or a connection open, every
   * connection heard from, and none added or gone for QUIET_MS (nor the signaling just come up: its announcement is
   * still being answered), and a connection from each of the first EXPECTED_AT_MOST of the senders the server named
   * as this tab joined (`senders`; where it named none, as many connections as there were others, `others`, opened
   * by them). Alone, that is nobody there QUIET_MS after the signaling connected.
   */
  settled(
    now: number,
    signaling: boolean,
    conns: ReadonlyMap<string, SeenConnection>,
    others = 0,
    senders: readonly string[] | null = null,
  ): boolean {
    const ids = [...conns.keys()].sort().join(' ');
    if (this.#since === null || ids !== this.#ids || (signaling && !this.#signaling)) this.#since = now;
    this.#ids = ids;
    this.#signaling = signaling;
    if (!signaling && conns.size === 0) return false;
    if (!(senders ? fromEach(senders, conns) : fromAsMany(others, conns))) return false;
    return [...conns.values()].every((c) => c.heard) && now - this.#since >= QUIET_MS;
  }
}

/** A connection from each of the first EXPECTED_AT_MOST senders (one key's several tabs, one from each). */
function fromEach(senders: readonly string[], conns: ReadonlyMap<string, SeenConnection>): boolean {
  const wanted = new Map<string, number>();
  for (const sender of senders.slice(0, EXPECTED_AT_MOST)) wanted.set(sender, (wanted.get(sender) ?? 0) + 1);
  for (const c of conns.values())
    if (c.sender !== undefined && wanted.has(c.sender)) wanted.set(c.sender, wanted.get(c.sender)! - 1);
  return [...wanted.values()].every((n) => n <= 0);
}

/** As many connections as there were others (up to EXPECTED_AT_MOST), opened by them. */
function fromAsMany(others: number, conns: ReadonlyMap<string, SeenConnection>): boolean {
  return [...conns.values()].filter((c) => c.answered).length >= Math.min(others, EXPECTED_AT_MOST);
}

/** Between two looks at the room. */
const POLL_MS = 50;

/** The part of y-webrtc's WebrtcConn the settling reads. */
export interface SettlingConn {
  /** simple-peer's Peer: `initiator` false for a connection the remote peer offered. */
  readonly peer: { readonly initiator: boolean };
}

/** The room as the swarm sees it, each time it is looked at. */
export interface RoomView {
  /** When the wait ends, settled or not (the swarm's join plus `settleMs`). */
  readonly deadline: number;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Whether the signaling socket is up. */
  signaling(): boolean;
  /** The room's WebRTC connections, by remote peer id. */
  conns(): Iterable<[string, SettlingConn]>;
  /** How many others the signaling server said the room had as this tab joined (0 until it says). */
  others(): number;
  /** The sender tags of the first few of them, or null (not said yet, or a server that names none). */
  senders?(): readonly string[] | null;
  /** The sender tag of a connection's peer id, as the signal gate saw it. */
  senderOf?(peer: string): string | undefined;
  /** What each connection carried from its peer: it counts once the peer's awareness came over it. */
  readonly hearing: ConnHearing;
  /** Whether the swarm was left meanwhile. */
  left(): boolean;
}

/** Looks at the room until RoomSettle says it is settled, or the deadline; says which, and how many connections. */
export async function untilSettled(room: RoomView): Promise<{ readonly settled: boolean; readonly conns: number }> {
  const settle = new RoomSettle();
  let size = 0;
  while (room.now() < room.deadline && !room.left()) {
    const seen = new Map(
      [...room.conns()].map(([id, c]) => [
        id,
        { heard: room.hearing.presenceFrom(c), answered: c.peer.initiator === false, sender: room.senderOf?.(id) },
      ]),
    );
    size = seen.size;
    if (settle.settled(room.now(), room.signaling(), seen, room.others(), room.senders?.() ?? null))
      return { settled: true, conns: size };
    await room.sleep(POLL_MS);
  }
  return { settled: false, conns: size };
}
