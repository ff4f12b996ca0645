// What each of the room's WebRTC connections has carried from its peer. Anything at all is the evidence that a
// connection works (the watchdog's and the signal gate's: y-webrtc's `synced` flag misses connections made after the
// room first synced). The peer's awareness is the evidence that its presence, and what it relays of the room's, has
// arrived: what the room's settling waits for (room-settle.ts). The two come apart: a peer answers this tab's sync
// step 1 as soon as it arrives, but sends its awareness only once its own side of the connection says connected,
// which on a loaded machine was 1.8 s later (the ONNX mesh test: the tab settled on the sync reply, 28 ms before
// the holder's presence came, and asked the coordinator for the .wasm).

/** y-webrtc's message types (y-webrtc.js): 0 sync, 1 awareness, 3 a query for awareness, 4 a BroadcastChannel id. */
const MESSAGE_AWARENESS = 1;

/**
 * Whether a message on y-webrtc's channel is an awareness update. Its type is the first varuint (lib0), and a
 * varuint of 1 is the single byte 1: a byte of a longer one has its high bit set.
 */
export function isAwareness(message: unknown): boolean {
  return message instanceof Uint8Array && message[0] === MESSAGE_AWARENESS;
}

export class ConnHearing {
  readonly #data = new WeakSet<object>();
  readonly #awareness = new WeakSet<object>();

  /** Notes a message the peer sent over `conn` (simple-peer's 'data'); says whether it was the first of its kind. */
  receive(conn: object, message: unknown): { readonly firstData: boolean; readonly firstAwareness: boolean } {
    const firstData = !this.#data.has(conn);
    this.#data.add(conn);
    const firstAwareness = isAwareness(message) && !this.#awareness.has(conn);
    if (firstAwareness) this.#awareness.add(conn);
    return { firstData, firstAwareness };
  }

  /** Whether the peer has sent anything over `conn`. */
  heard(conn: object): boolean {
    return this.#data.has(conn);
  }

  /** Whether the peer's awareness (its presence, and those it relays) has come over `conn`. */
  presenceFrom(conn: object): boolean {
    return this.#awareness.has(conn);
  }
}
