import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { readSyncMessage } from 'y-protocols/sync';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { dropStuckPending, MAX_PENDING_BYTES, pendingBytes, syncStep1 } from './pending-updates';

/** A client's second write without its first: Yjs cannot integrate it, and keeps it pending. */
function gapped(client: number): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = client;
  doc.getMap('units').set('a', 'x'.repeat(50));
  const first = Y.encodeStateVector(doc);
  doc.getMap('units').set('b', 'y'.repeat(50));
  return Y.encodeStateAsUpdate(doc, first);
}

/** What a peer does with a sync step 1, as y-webrtc does: its answer, applied here. */
function answer(peer: Y.Doc, message: Uint8Array, to: Y.Doc): void {
  const decoder = decoding.createDecoder(message);
  expect(decoding.readVarUint(decoder)).toBe(0);
  const reply = encoding.createEncoder();
  readSyncMessage(decoder, reply, peer, 'peer');
  const replyDecoder = decoding.createDecoder(encoding.toUint8Array(reply));
  readSyncMessage(replyDecoder, encoding.createEncoder(), to, 'peer');
}

describe("the doc's pending updates", () => {
  it('stay under a bound however many updates with gaps a peer sends', () => {
    const doc = new Y.Doc();
    let most = 0;
    for (let i = 1; i <= 1000; i++) {
      Y.applyUpdate(doc, gapped(10_000 + i), 'peer');
      dropStuckPending(doc);
      most = Math.max(most, pendingBytes(doc));
    }
    // Without the bound: 64,000 bytes, and each update merged into all of them again.
    expect(most).toBeLessThanOrEqual(MAX_PENDING_BYTES);
  });

  it('are asked of the peers again once dropped, so an honest update that came out of order is not lost', () => {
    const honest = new Y.Doc();
    const mine = new Y.Doc();
    const units = honest.getMap('units');
    units.set('ls_1', 'first');
    const before = Y.encodeStateVector(honest);
    units.set('ls_2', 'second');
    // The second write reached this doc without the first: pending. Dropped, as if past the bound.
    Y.applyUpdate(mine, Y.encodeStateAsUpdate(honest, before), 'peer');
    expect(pendingBytes(mine)).toBeGreaterThan(0);
    expect(dropStuckPending(mine, 0)).toBe(true);
    expect(pendingBytes(mine)).toBe(0);
    answer(honest, syncStep1(mine), mine);
    expect(mine.getMap('units').toJSON()).toEqual({ ls_1: 'first', ls_2: 'second' });
  });
});
