// Test-only: messages as y-webrtc sends them over its data channel (y-webrtc.js: a varuint type, then the body),
// made with the same encoders, for tests of what a connection carried.
import * as encoding from 'lib0/encoding';
import { type Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as sync from 'y-protocols/sync';
import type * as Y from 'yjs';

function message(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** What a peer sends as its side connects, and in answer to this tab's. */
export const syncStep1 = (doc: Y.Doc) => message(0, (e) => sync.writeSyncStep1(e, doc));
export const syncStep2 = (doc: Y.Doc) => message(0, (e) => sync.writeSyncStep2(e, doc));
export const update = (bytes: Uint8Array) => message(0, (e) => sync.writeUpdate(e, bytes));
/** Every state the peer knows (its own and those it relays), as it sends them once connected. */
export const awarenessOf = (awareness: Awareness) =>
  message(1, (e) =>
    encoding.writeVarUint8Array(e, encodeAwarenessUpdate(awareness, [...awareness.getStates().keys()])),
  );
export const queryAwareness = () => message(3, () => undefined);
