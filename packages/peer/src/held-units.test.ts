import { HeldUnit } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { HeldUnits } from './held-units';

/** Two docs kept in sync the way the room syncs them (every update applied to the other). */
function twoDocs(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(b, u, 'remote'));
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(a, u, 'remote'));
  return [a, b];
}

describe('held units in the shared doc', () => {
  it('shows each peer what the others hold, and forgets a unit once its result was delivered', () => {
    const [da, db] = twoDocs();
    const a = new HeldUnits(da.getMap('units'), da.clientID, () => 1);
    const b = new HeldUnits(db.getMap('units'), db.clientID, () => 2);
    const present = new Set([da.clientID, db.clientID]);
    a.hold('ls_1', { workUnit: 'wu_1', job: 'job_0123456789abcdef', state: 'computing' });
    a.hold('ls_2', { workUnit: 'wu_2', job: 'job_0123456789abcdef', state: 'computing' });
    b.hold('ls_3', { workUnit: 'wu_1', job: 'job_0123456789abcdef', state: 'computing' });
    a.hold('ls_1', { workUnit: 'wu_1', job: 'job_0123456789abcdef', state: 'computed' });
    expect(b.counts(present).total).toEqual({ computing: 2, computed: 1 });
    expect(b.counts(present).byHolder.get(da.clientID)).toEqual({ computing: 1, computed: 1 });
    a.release('ls_1');
    expect(b.counts(present).total).toEqual({ computing: 2, computed: 0 });
    // Nobody removes another's entry by releasing it.
    b.release('ls_2');
    expect(a.counts(present).total).toEqual({ computing: 2, computed: 0 });
  });

  it('counts only holders in the room, and sweeps a departed holder after it was missing twice', () => {
    const [da, db] = twoDocs();
    const a = new HeldUnits(da.getMap('units'), da.clientID, () => 1);
    const b = new HeldUnits(db.getMap('units'), db.clientID, () => 2);
    a.hold('ls_1', { workUnit: 'wu_1', job: null, state: 'computed' });
    const onlyB = new Set([db.clientID]);
    expect(b.counts(onlyB).total).toEqual({ computing: 0, computed: 0 });
    b.sweep(onlyB);
    expect(db.getMap('units').size).toBe(1);
    b.sweep(onlyB);
    expect(db.getMap('units').size).toBe(0);
    expect(da.getMap('units').size).toBe(0);
  });

  it('ignores and sweeps entries that are not held units', () => {
    const [da, db] = twoDocs();
    da.getMap('units').set('ls_9', { holder: 'me', state: 'stolen' });
    const b = new HeldUnits(db.getMap('units'), db.clientID, () => 2);
    const present = new Set([da.clientID, db.clientID]);
    expect(b.counts(present).total).toEqual({ computing: 0, computed: 0 });
    b.sweep(present);
    expect(da.getMap('units').size).toBe(0);
  });

  it('parses each entry once, not all of them at every count (any peer may write thousands)', () => {
    const [da, db] = twoDocs();
    da.transact(() => {
      for (let i = 0; i < 5000; i++)
        da.getMap('units').set(`ls_${i}`, {
          workUnit: null,
          job: null,
          holder: da.clientID,
          state: 'computing',
          at: 1,
        });
    });
    const b = new HeldUnits(db.getMap('units'), db.clientID, () => 2);
    const present = new Set([da.clientID]);
    const parse = vi.spyOn(HeldUnit, 'safeParse');
    try {
      expect(b.counts(present).total).toEqual({ computing: 5000, computed: 0 });
      const first = parse.mock.calls.length;
      da.getMap('units').set('ls_0', { workUnit: null, job: null, holder: da.clientID, state: 'computed', at: 2 });
      expect(b.counts(present).total).toEqual({ computing: 4999, computed: 1 });
      b.sweep(present);
      // The first count parsed them all; the second only the entry that changed, the sweep none.
      expect(first).toBe(5000);
      expect(parse.mock.calls.length - first).toBe(1);
    } finally {
      parse.mockRestore();
    }
  });
});
