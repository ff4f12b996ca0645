// What each of the room's WebRTC connections has carried from its peer: anything at all is the evidence that a
// connection works (the watchdog's and the signal gate's: y-webrtc's `synced` flag misses connections made after the
// room first synced).

export class ConnHearing {
  readonly #data = new WeakSet<object>();

  /** Notes a message the peer sent over `conn` (simple-peer's 'data'); returns whether it was the first. */
  receive(conn: object, _message: unknown): { readonly firstData: boolean } {
    const firstData = !this.#data.has(conn);
    this.#data.add(conn);
    return { firstData };
  }

  /** Whether the peer has sent anything over `conn`. */
  heard(conn: object): boolean {
    return this.#data.has(conn);
  }
}
