// Stands between a y-webrtc signaling socket and y-webrtc, for one room: each publish relayed to the room is read
// as y-webrtc will read it (decrypted with the room's key) and passed on only when the sender's share of this
// page's connections allows it (sender-slots.ts). y-webrtc has no hook there, so the socket's `emit` is wrapped:
// it is the one way the socket's messages reach y-webrtc's listener.
import { fromBase64 } from '@bricolage/protocol';
import { peerIdSender, RoomSignal, SignalRelay } from '@bricolage/protocol/peer';
import * as decoding from 'lib0/decoding';
import type { WebrtcProvider } from 'y-webrtc';
import { closeLosing, losingOffer } from './glare';
import { type ScopedSocket, scopeSignaling } from './signal-scope';
import { SenderSlots, type SlotConn, type SlotVerdict } from './sender-slots';

/** A lib0 Observable as far as the gate wraps it (y-webrtc's SignalingConn). */
export interface GatedSocket {
  emit(name: string, args: unknown[]): void;
}

export type Unreadable = 'not_a_relay' | 'undecryptable' | 'not_a_signal';

export interface SignalGateOptions {
  readonly topic: string;
  /** The room's key (y-webrtc's `provider.key`); null when the room has no secret. */
  key(): PromiseLike<CryptoKey | null>;
  /** Whether y-webrtc may have this message, from this sender (the queue waits for the answer). */
  admit(sender: string, signal: RoomSignal): boolean | PromiseLike<boolean>;
  /** A publish to the room dropped unread: not as /signal relays it, or not what y-webrtc sends. */
  unreadable?(why: Unreadable): void;
}

/** Wraps the socket's emit for the room's publishes; `close` lets them all through again. */
export function gateSignaling(socket: GatedSocket, options: SignalGateOptions): { close(): void } {
  const emit = socket.emit.bind(socket);
  let open = true;
  let queue: Promise<void> = Promise.resolve();
  socket.emit = (name, args) => {
    const message = args[0] as { type?: unknown; topic?: unknown } | null | undefined;
    if (!open || name !== 'message' || message?.type !== 'publish' || message.topic !== options.topic)
      return emit(name, args);
    // One at a time, in the order they came: an ICE candidate must not overtake the offer before it.
    queue = queue
      .then(async () => {
        const read = await readRelay(message, await options.key());
        if (!open) return;
        if (!read.ok) options.unreadable?.(read.why);
        else if ((await options.admit(read.sender, read.signal)) && open) emit(name, args);
      })
      // One message that breaks a rule or y-webrtc's listener must not stop the queue for every one after it.
      .catch((error: Error) => console.warn(`a signaling message was dropped: ${error.message}`));
  };
  return {
    close: () => {
      open = false;
    },
  };
}

type Read = { ok: true; sender: string; signal: RoomSignal } | { ok: false; why: Unreadable };

async function readRelay(message: unknown, key: CryptoKey | null): Promise<Read> {
  const relay = SignalRelay.safeParse(message);
  if (!relay.success) return { ok: false, why: 'not_a_relay' };
  let data = relay.data.data;
  if (key) {
    if (typeof data !== 'string') return { ok: false, why: 'undecryptable' };
    const decrypted = await decryptAny(data, key);
    if (!decrypted.ok) return { ok: false, why: 'undecryptable' };
    data = decrypted.value;
  }
  const signal = RoomSignal.safeParse(data);
  return signal.success
    ? { ok: true, sender: relay.data.sender, signal: signal.data }
    : { ok: false, why: 'not_a_signal' };
}

/** y-webrtc's crypto.js decryptJson: base64 of lib0's `AES-GCM`, iv, ciphertext; the plaintext a lib0 `any`. */
async function decryptAny(text: string, key: CryptoKey): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    const decoder = decoding.createDecoder(fromBase64(text));
    if (decoding.readVarString(decoder) !== 'AES-GCM') return { ok: false };
    const iv = decoding.readVarUint8Array(decoder);
    const cipher = decoding.readVarUint8Array(decoder);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer> },
      key,
      cipher as Uint8Array<ArrayBuffer>,
    );
    return { ok: true, value: decoding.readAny(decoding.createDecoder(new Uint8Array(plain))) };
  } catch (error) {
    // Not base64, cut short, or not sealed with this room's key: nothing y-webrtc could read either.
    void error;
    return { ok: false };
  }
}

/** y-webrtc's room as far as the gate reads it. */
export interface GatedRoom {
  readonly peerId: string;
  readonly webrtcConns: ReadonlyMap<string, unknown>;
  readonly bcConns: ReadonlySet<string>;
}

/**
 * What y-webrtc does with a signaling message (y-webrtc.js, SignalingConn's `execMessage`), as far as the gate lets
 * it: nothing (not for this tab, from itself, from a tab it reaches by BroadcastChannel, or from or to a peer id
 * under no sender tag), open a connection (an announce while it has
 * room, or a signal to this tab, from a peer id it has none with), or pass it to the connection it has.
 */
export function readingOf(room: GatedRoom, maxConns: number, signal: RoomSignal): 'ignored' | 'opens' | 'existing' {
  const { from, to } = signal;
  if (from === room.peerId || (to !== undefined && to !== room.peerId) || room.bcConns.has(from)) return 'ignored';
  // A peer id under no sender tag (an older page's, or a page's before /signal told it its tag): no peer takes it,
  // this tab's included, and no peer would take this tab's answers while its own is one.
  if (peerIdSender(from) === null || peerIdSender(room.peerId) === null) return 'ignored';
  const known = room.webrtcConns.has(from);
  if (signal.type === 'announce') return known || room.webrtcConns.size >= maxConns ? 'ignored' : 'opens';
  // y-webrtc reads `signal.type` of any signal: one without would throw in its handler.
  if (signal.type !== 'signal' || to === undefined || signal.signal === undefined) return 'ignored';
  if (known) return 'existing';
  // An answer to an offer this tab never made opens nothing: y-webrtc throws on it, reading its missing connection.
  return signal.signal.type === 'answer' ? 'ignored' : 'opens';
}

/** A connection as y-webrtc keeps it (its WebrtcConn), as far as the count reads it. */
interface RoomConn {
  readonly closed: boolean;
  readonly synced: boolean;
}

/**
 * The gates of one swarm: each provider's signaling sockets gated for its room, a message y-webrtc would ignore
 * dropped, one that would open a connection counted against its sender's share (sender-slots.ts), one share for
 * the swarm's life (it carries over to a renewed provider, as the connections do).
 */
export class SignalGates {
  readonly #slots: SenderSlots;
  readonly #heard: (conn: object) => boolean;
  #unreadable = 0;

  readonly #trace: ((line: string) => void) | undefined;

  constructor(options: {
    maxPendingPerSender: number;
    maxPerSender: number;
    heard(conn: object): boolean;
    /** Told each publish read and what became of it (the swarm's `trace`). */
    trace?(line: string): void;
  }) {
    this.#slots = new SenderSlots({
      maxPendingPerSender: options.maxPendingPerSender,
      maxPerSender: options.maxPerSender,
      now: Date.now,
    });
    this.#heard = options.heard;
    this.#trace = options.trace;
  }

  get refused(): Readonly<{ overShare: number; notTheirs: number; unreadable: number }> {
    return { ...this.#slots.refused, unreadable: this.#unreadable };
  }

  /** The sender tag of the peer id's connection: whose message opened it (SenderSlots). */
  senderOf(peer: string): string | undefined {
    return this.#slots.senderOf(peer);
  }

  /**
   * Gates the provider's sockets for `topic`; returns what lifts the gates. Each socket is first kept to its own
   * providers' rooms (signal-scope.ts): y-webrtc would have it carry every room of the page, and another room's
   * socket passes this room's signals by no gate of this room's.
   */
  gate(provider: WebrtcProvider, topic: string): () => void {
    const sockets = provider.signalingConns as unknown as ScopedSocket[];
    for (const socket of sockets) scopeSignaling(socket);
    const gates = sockets.map((socket) =>
      gateSignaling(socket, {
        topic,
        key: () => provider.key,
        unreadable: (why) => {
          this.#unreadable++;
          this.#trace?.(`signal dropped: ${why}`);
        },
        admit: async (sender, signal) => {
          const room = provider.room;
          if (!room) return false;
          const reading = readingOf(room, provider.maxConns, signal);
          const verdict = reading === 'ignored' ? reading : this.#admit(room, sender, signal, reading === 'opens');
          if (this.#trace && (signal.to === undefined || signal.to === room.peerId))
            this.#trace(
              `in ${describe(signal)} from ${signal.from} (key ${sender.slice(0, 8)}): ${reading}, ${verdict}`,
            );
          if (verdict !== 'pass') return false;
          // Crossing offers: this tab's loses, and is closed before y-webrtc reads the winning one (glare.ts).
          const losing = reading === 'existing' ? losingOffer(room.webrtcConns, signal) : null;
          if (losing) {
            const closed = await closeLosing(room.webrtcConns, signal.from, losing);
            this.#trace?.(`glare with ${signal.from}: this tab's offer lost, ${closed ? 'closed' : 'still open'}`);
          }
          return true;
        },
      }),
    );
    return () => {
      for (const gate of gates) gate.close();
    };
  }

  #admit(room: GatedRoom, sender: string, signal: RoomSignal, opens: boolean): SlotVerdict {
    const conns = new Map<string, SlotConn>();
    for (const [peer, conn] of room.webrtcConns as unknown as Map<string, RoomConn>)
      conns.set(peer, { established: !conn.closed && (conn.synced || this.#heard(conn)) });
    return this.#slots.admit(sender, signal.from, opens, conns);
  }
}

/** A signal as a trace line names it: `announce`, or `signal` and simple-peer's kind (offer, answer, candidate). */
function describe(signal: RoomSignal): string {
  const kind = (signal.signal as { type?: unknown } | undefined)?.type;
  return typeof kind === 'string' ? `${signal.type} ${kind}` : signal.type;
}
