// Test-only: the stock y-webrtc classes, unmodified, for tests outside this package that must drive them (the
// coordinator's test of /signal), and y-webrtc's sealing of signaling messages, for tests that speak as a peer
// (the browser test of fake offers). Only packages/peer imports y-webrtc and yjs; this is where others get them.
import { WebrtcProvider } from 'y-webrtc';
import * as Y from 'yjs';

export { SignalingConn } from 'y-webrtc';
export { roomKey, seal, unseal } from './signal-bus';

/** A stock WebrtcProvider on a fresh doc, made as any y-webrtc application makes one. */
export function stockProvider(room: string, password: string, signaling: string): WebrtcProvider {
  return new WebrtcProvider(room, new Y.Doc(), {
    signaling: [signaling],
    password,
    peerOpts: { config: { iceServers: [] } },
  });
}
