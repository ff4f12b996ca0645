// The blob exchange on the swarm's WebRTC connections: each connection's blob channel handed to the exchange with
// the sender tag of the key whose signaling made that connection (the gate knows it: signal-gate.ts), so that a
// peer is held to account by its key and not by the awareness id it claims; a peer the exchange drops is closed
// through y-webrtc, so that y-webrtc forgets it.
import { sha256Hex } from '@bricolage/protocol';
import { tappedWebRtc } from './blob-channel';
import { BlobExchange, type Channel } from './blob-exchange';
import type { BlobShelf } from './shelf';

/** y-webrtc's connection (WebrtcConn) and its simple-peer, as the swarm reaches them. */
export interface ConnWithPeer {
  readonly connected: boolean;
  readonly synced: boolean;
  readonly closed: boolean;
  readonly peer: {
    readonly _pc?: RTCPeerConnection;
    /** Whether this tab opened the connection (simple-peer's): false for one the remote peer offered. */
    readonly initiator: boolean;
    on(event: 'data', listener: (message: unknown) => void): void;
    send(data: Uint8Array): void;
  };
  destroy(): void;
}

export interface BlobLinksOptions {
  readonly self: number;
  readonly shelf: BlobShelf;
  /** Whether a peer's presence says it holds a blob. */
  holds(peer: number, hash: string): boolean;
  changed(): void;
  readonly maxConns: number;
  /** y-webrtc's connections now, by peer id. */
  conns(): Map<string, ConnWithPeer>;
  /** The sender tag of the key whose signaling opened the connection with this peer id. */
  senderOf(peer: string): string | undefined;
}

/** The exchange, and the `wrtc` for simple-peer that adds a blob channel to each connection and hands it over. */
export function blobLinks(options: BlobLinksOptions): {
  exchange: BlobExchange;
  wrtc: ReturnType<typeof tappedWebRtc>;
} {
  const pcs = new Map<Channel, RTCPeerConnection>();
  const exchange = new BlobExchange({
    self: options.self,
    shelf: options.shelf,
    holds: options.holds,
    sha256Hex,
    onDrop: (_report, channel) => closeConnection(channel),
    onChange: options.changed,
  });

  /** Closes the WebRTC connection a dropped peer's channel belongs to, through y-webrtc so that it forgets it. */
  function closeConnection(channel: Channel): void {
    const pc = pcs.get(channel);
    pcs.delete(channel);
    if (!pc) return;
    for (const conn of options.conns().values())
      if (conn.peer._pc === pc) {
        conn.destroy();
        return;
      }
    pc.close();
  }

  /** The sender tag of the key whose signaling made this RTCPeerConnection, if it is known. */
  function senderOfPc(pc: RTCPeerConnection): string | null {
    for (const [id, conn] of options.conns()) if (conn.peer._pc === pc) return options.senderOf(id) ?? null;
    return null;
  }

  const wrtc = tappedWebRtc(
    {
      open(channel, pc) {
        pcs.set(channel, pc);
        const link = exchange.connect(channel, senderOfPc(pc));
        return {
          receive: (bytes) => link.receive(bytes),
          closed: () => {
            pcs.delete(channel);
            link.closed();
          },
        };
      },
    },
    // y-webrtc starts maxConns itself and answers whoever offers: twice that leaves a large room its answers.
    2 * options.maxConns,
  );
  return { exchange, wrtc };
}
