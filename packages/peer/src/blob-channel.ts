// The blob cache's own data channel on each of y-webrtc's peer connections. y-webrtc's channel carries only Yjs
// messages (anything else breaks its decoder), so the cache opens a second one: pre-negotiated with a fixed id
// on both sides, so that simple-peer (which would take over any channel announced in-band) never sees it.
// simple-peer's `wrtc` option is how the connections are reached: a subclass of RTCPeerConnection that adds the
// channel as each one is made.
import type { Channel } from './blob-exchange';

/** The SCTP stream id of the blob channel; simple-peer's own channel takes 0 or 1. */
const BLOB_CHANNEL_ID = 42;
export const BLOB_CHANNEL_LABEL = 'bricolage-blobs';
const LOW_WATER = 256 * 1024;

export interface BlobChannelEvents {
  /** The channel opened: hand it to the exchange, and return where its messages and its close go. */
  open(channel: Channel, pc: RTCPeerConnection): { receive(bytes: Uint8Array): void; closed(): void };
}

/**
 * simple-peer's `wrtc` option: browser WebRTC, with the blob channel added to every connection, and at most
 * `maxOpen` connections open at once. y-webrtc caps the connections it starts, not those it answers: every
 * signaling offer addressed to this tab from a new sender gets a connection, and anyone in the room can send
 * hundreds (Chromium refuses a page's 500th, and each one gathers ICE candidates meanwhile). A connection over the
 * cap fails to construct, which simple-peer and y-webrtc take as a failed connection.
 */
export function tappedWebRtc(
  events: BlobChannelEvents,
  maxOpen: number,
): {
  RTCPeerConnection: typeof RTCPeerConnection;
  RTCSessionDescription: typeof RTCSessionDescription;
  RTCIceCandidate: typeof RTCIceCandidate;
} {
  const Base = globalThis.RTCPeerConnection;
  const open = new Set<RTCPeerConnection>();
  class WithBlobChannel extends Base {
    constructor(config?: RTCConfiguration) {
      if (open.size >= maxOpen) throw new Error(`${maxOpen} peer connections are open already`);
      super(config);
      open.add(this);
      // Closed by the remote end or the network: simple-peer then calls close() too, but not always at once.
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'closed' || this.connectionState === 'failed') open.delete(this);
      });
      addBlobChannel(this, events);
    }

    override close(): void {
      open.delete(this);
      super.close();
    }
  }
  return {
    RTCPeerConnection: WithBlobChannel,
    RTCSessionDescription: globalThis.RTCSessionDescription,
    RTCIceCandidate: globalThis.RTCIceCandidate,
  };
}

function addBlobChannel(pc: RTCPeerConnection, events: BlobChannelEvents): void {
  const dc = pc.createDataChannel(BLOB_CHANNEL_LABEL, { negotiated: true, id: BLOB_CHANNEL_ID, ordered: true });
  dc.binaryType = 'arraybuffer';
  dc.bufferedAmountLowThreshold = LOW_WATER;
  const channel: Channel = {
    send: (bytes) => dc.send(bytes as Uint8Array<ArrayBuffer>),
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    drained: () =>
      new Promise<void>((resolve) => {
        if (dc.bufferedAmount <= LOW_WATER || dc.readyState !== 'open') return resolve();
        const done = () => {
          dc.removeEventListener('bufferedamountlow', done);
          dc.removeEventListener('close', done);
          resolve();
        };
        dc.addEventListener('bufferedamountlow', done);
        dc.addEventListener('close', done);
      }),
    close: () => dc.close(),
  };
  dc.addEventListener('open', () => {
    const link = events.open(channel, pc);
    dc.addEventListener('message', (event: MessageEvent<ArrayBuffer>) => {
      if (event.data instanceof ArrayBuffer) link.receive(new Uint8Array(event.data));
      else link.receive(new Uint8Array(0));
    });
    dc.addEventListener('close', () => link.closed());
  });
}
