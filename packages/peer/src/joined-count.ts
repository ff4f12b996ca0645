// How many others a room had as this tab joined, and the sender tags of the first few, as the signaling server
// counted them when it took the subscription (`SignalJoined`, read off y-webrtc's signaling sockets): whose
// connections the room's settling waits for (room-settle.ts).
import { SignalJoined } from '@bricolage/protocol/peer';

/** A y-webrtc signaling socket as far as it is read here (lib0's Observable; untyped in y-webrtc's .d.ts). */
export interface SignalingSocket {
  on(name: 'message', f: (message: unknown) => void): void;
  off(name: 'message', f: (message: unknown) => void): void;
}

export class JoinedCount {
  #others = 0;
  #senders: readonly string[] | null = null;
  readonly #hearing = new WeakSet<object>();

  /** The others the server last said the room had as this tab joined (0 until it says). */
  get others(): number {
    return this.#others;
  }

  /** The sender tags of the first few of those others, or null when the server named none. */
  get senders(): readonly string[] | null {
    return this.#senders;
  }

  /**
   * Listens for the room's `joined` on each socket not listened to yet (y-webrtc shares a socket by URL, and a
   * renewed provider brings the same ones back); returns how to stop listening to those it started on.
   */
  hear(sockets: readonly unknown[], topic: string): (() => void)[] {
    const offs: (() => void)[] = [];
    for (const socket of sockets as SignalingSocket[]) {
      if (this.#hearing.has(socket)) continue;
      this.#hearing.add(socket);
      const onMessage = (message: unknown) => {
        const joined = SignalJoined.safeParse(message);
        if (!joined.success || joined.data.topic !== topic) return;
        this.#others = joined.data.others;
        this.#senders = joined.data.senders ?? null;
      };
      socket.on('message', onMessage);
      offs.push(() => socket.off('message', onMessage));
    }
    return offs;
  }
}
