// Yjs keeps an update it cannot integrate yet (it follows an item this doc has not seen) as pending, forever, and
// merges every later update into it to retry. A peer that sends updates with gaps on purpose (of made-up clients)
// grows that pending update without end, and each message it sends costs this tab's main thread time in
// proportion (4,000 updates of 100 bytes: over a minute). Past a bound it is dropped, and the peers are asked for
// what this doc lacks, so that an honest update that only arrived out of order is not lost.
import * as encoding from 'lib0/encoding';
import { writeSyncStep1 } from 'y-protocols/sync';
import type * as Y from 'yjs';

/** Pending bytes kept at most: honest gaps are a few updates that overtook another (entries of ~100 bytes). */
export const MAX_PENDING_BYTES = 16 * 1024;

export function pendingBytes(doc: Y.Doc): number {
  return (doc.store.pendingStructs?.update.length ?? 0) + (doc.store.pendingDs?.length ?? 0);
}

/** Drops the doc's pending updates when they are over the bound; true when it did (then ask the peers to sync). */
export function dropStuckPending(doc: Y.Doc, maxBytes = MAX_PENDING_BYTES): boolean {
  if (pendingBytes(doc) <= maxBytes) return false;
  doc.store.pendingStructs = null;
  doc.store.pendingDs = null;
  return true;
}

/** y-webrtc's message of its type 0 (sync), step 1: this doc's state vector, which a peer answers with every update the doc lacks. */
export function syncStep1(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, Y_WEBRTC_SYNC);
  writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

/** y-webrtc's `messageSync`. */
const Y_WEBRTC_SYNC = 0;
