import { createTestLog, type TestLog } from '@bricolage/receipts/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { HeadGossip } from './head-gossip';
import { forkedHead } from './testing/forked-head';
import { LogWitness } from './witness';

const docs: Y.Doc[] = [];
afterEach(() => {
  for (const doc of docs.splice(0)) doc.destroy();
});

/** Docs that hear each other's updates at once, as a room's do once synced. */
function room(count: number): Y.Doc[] {
  const made = Array.from({ length: count }, () => new Y.Doc());
  for (const doc of made)
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      for (const other of made) if (other !== doc && origin !== 'room') Y.applyUpdate(other, update, 'room');
    });
  docs.push(...made);
  return made;
}

/** A page joining later, as the swarm does: its gossip made on an empty doc, then the room's doc as it is now. */
function joinLate(from: Y.Doc, witness: LogWitness): void {
  const doc = new Y.Doc();
  docs.push(doc);
  new HeadGossip(witness, doc.getMap('evidence'), () => undefined);
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(from));
}

const witnessOf = (log: TestLog) =>
  new LogWitness({ publicKey: log.key.publicKeyText, consistency: (from, to) => log.consistency(from, to) });

describe('split-view evidence in the room', () => {
  it('is put back when a peer deletes or overwrites it, so that pages joining later still see the alarm', async () => {
    const log = await createTestLog();
    for (let i = 0; i < 3; i++) await log.append('A'.repeat(43));
    const [mine, theirs] = room(2) as [Y.Doc, Y.Doc];
    const witness = witnessOf(log);
    const gossip = new HeadGossip(witness, mine.getMap('evidence'), () => undefined);
    await witness.observe(await log.head(3), 'self');
    await witness.observe(await forkedHead(log, 3), 2);
    gossip.share();
    const evidence = theirs.getMap('evidence');
    expect(evidence.size).toBe(1);
    const id = [...evidence.keys()][0] as string;
    const shared = JSON.stringify(evidence.get(id));

    // A peer (any peer may write anything to the doc) deletes it, then overwrites it with junk.
    for (const tamper of [() => evidence.delete(id), () => evidence.set(id, { a: 'nothing', b: 'to see' })]) {
      tamper();
      // Waited for, not slept on: verifying two heads takes a busy machine longer than a fixed 50 ms.
      await vi.waitFor(() => expect(JSON.stringify(evidence.get(id))).toBe(shared), { timeout: 10_000 });
      const late = witnessOf(log);
      joinLate(theirs, late);
      await vi.waitFor(() => expect(late.alarms()).toMatchObject([{ kind: 'split-view' }]), { timeout: 10_000 });
    }
  });

  it('checks each piece of evidence once as it arrives, not all of them again at every change', async () => {
    const log = await createTestLog();
    await log.append('A'.repeat(43));
    const [mine, theirs] = room(2) as [Y.Doc, Y.Doc];
    const witness = witnessOf(log);
    new HeadGossip(witness, mine.getMap('evidence'), () => undefined);
    // A peer writes well-formed evidence whose signatures are wrong, one piece per update.
    const head = await log.head(1);
    const bad = { ...head, signature: 'A'.repeat(86) };
    for (let i = 0; i < 50; i++)
      theirs.getMap('evidence').set(`junk${i}`, { a: bad, b: { ...bad, head: { ...bad.head, size: i } } });
    // Two heads a piece, each checked once: 100, and no more (every piece again at each change: 2,550).
    await vi.waitFor(() => expect(witness.stats().invalid).toBeGreaterThanOrEqual(100), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(witness.stats().invalid).toBe(100);
  });
});
