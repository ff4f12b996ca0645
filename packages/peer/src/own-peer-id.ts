// This tab's y-webrtc peer id names the sender tag /signal relays its messages with (`SignalJoined.self`,
// `taggedPeerId`): peers take a signal only from the key its peer id names (signal-gate.ts), so that no other key
// can speak as this tab. y-webrtc draws a random id as it opens its room and has no option for it: the id is
// renamed here once both the room and the tag are known, and announced again (`Room.connect`, which also tells
// this profile's other tabs the new id over the BroadcastChannel). A tab whose coordinator never says its tag
// (one older than this page) keeps y-webrtc's id, which no peer takes: it connects to none, and its view says so.
import { SignalJoined, taggedPeerId } from '@bricolage/protocol/peer';
import type { WebrtcProvider } from 'y-webrtc';
import type { SignalingSocket } from './joined-count';

export class OwnPeerId {
  readonly #provider: WebrtcProvider;
  readonly #trace: ((line: string) => void) | undefined;
  readonly #offs: (() => void)[] = [];
  #tag: string | null = null;
  /** y-webrtc's own id for the room, kept so that a new tag (a restarted coordinator) renames it again. */
  #drawn: string | null = null;

  constructor(provider: WebrtcProvider, topic: string, trace?: (line: string) => void) {
    this.#provider = provider;
    this.#trace = trace;
    for (const socket of provider.signalingConns as unknown as SignalingSocket[]) {
      const onMessage = (message: unknown) => {
        const joined = SignalJoined.safeParse(message);
        if (!joined.success || joined.data.topic !== topic || joined.data.self === undefined) return;
        this.#tag = joined.data.self;
        this.#name();
      };
      socket.on('message', onMessage);
      this.#offs.push(() => socket.off('message', onMessage));
    }
    // y-webrtc opens its room once the room's key is derived; the tag may have come first.
    void provider.key.then(() => this.#name());
  }

  /** Whether the signaling server said this tab's tag and the room's peer id names it. */
  get tagged(): boolean {
    const room = this.#provider.room;
    return room !== null && this.#tag !== null && room.peerId === taggedPeerId(this.#tag, this.#drawn ?? '');
  }

  close(): void {
    for (const off of this.#offs) off();
  }

  #name(): void {
    const room = this.#provider.room;
    if (!room || this.#tag === null) return;
    this.#drawn ??= room.peerId;
    const named = taggedPeerId(this.#tag, this.#drawn);
    if (room.peerId === named) return;
    room.peerId = named;
    this.#trace?.(`named ${named}`);
    // Subscribes again (the server answers a topic already taken with nothing) and announces under the new id.
    if (this.#provider.connected) room.connect();
  }
}
