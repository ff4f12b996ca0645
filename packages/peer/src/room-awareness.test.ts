import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_STATELESS_CLOCKS, RoomAwareness } from './room-awareness';

/** An awareness update as a peer may write it by hand: any ids, any clocks, any states. */
function update(entries: readonly { id: number; clock: number; state: unknown }[]): Uint8Array {
  const bytes: number[] = [];
  const varUint = (n: number) => {
    while (n > 127) {
      bytes.push(128 | (n % 128));
      n = Math.floor(n / 128);
    }
    bytes.push(n);
  };
  varUint(entries.length);
  for (const e of entries) {
    varUint(e.id);
    varUint(e.clock);
    const text = new TextEncoder().encode(JSON.stringify(e.state));
    varUint(text.length);
    bytes.push(...text);
  }
  return Uint8Array.from(bytes);
}

const made: Awareness[] = [];
function awareness(make: (doc: Y.Doc) => Awareness = (doc) => new RoomAwareness(doc)): Awareness {
  const a = make(new Y.Doc());
  made.push(a);
  return a;
}
afterEach(() => {
  for (const a of made.splice(0)) a.destroy();
});

describe('the room awareness', () => {
  it('forgets the clocks of ids a peer only said were gone, past a bound, and keeps those with a state', () => {
    const mine = awareness();
    const friend = { id: 7, clock: 1, state: { hello: 1 } };
    applyAwarenessUpdate(mine, update([friend]), 'peer');
    // 100,000 made-up ids, each said to be gone: no event, no state, only a clock each (stock Awareness keeps all).
    for (let batch = 0; batch < 10; batch++)
      applyAwarenessUpdate(
        mine,
        update(
          Array.from({ length: 10_000 }, (_, i) => ({ id: 1_000_000 + batch * 10_000 + i, clock: 1, state: null })),
        ),
        'peer',
      );
    expect(mine.meta.size).toBeLessThanOrEqual(MAX_STATELESS_CLOCKS + mine.states.size + 1);
    expect(mine.getStates().get(7)).toEqual({ hello: 1 });
    expect(mine.meta.get(7)?.clock).toBe(1);
    expect(mine.meta.get(mine.clientID)).toBeDefined();
  });

  it("takes no peer's state or clock for this tab's own id, so it shows itself truly and its changes still go out", () => {
    const mine = awareness();
    mine.setLocalState({ me: 'real' });
    const clock = mine.meta.get(mine.clientID)?.clock as number;
    // A forged state under this tab's id, at the largest clock a varint may carry.
    applyAwarenessUpdate(
      mine,
      update([{ id: mine.clientID, clock: Number.MAX_SAFE_INTEGER, state: { me: 'forged' } }]),
      'peer',
    );
    expect(mine.getLocalState()).toEqual({ me: 'real' });
    expect(mine.meta.get(mine.clientID)?.clock).toBe(clock);
    // Its later changes still reach a peer: taken, that clock would have stuck at 2^53 (x + 1 === x there), and
    // peers would have heard no change of this tab's presence again (its blobs, its tree head) while it stayed.
    const peer = awareness((doc) => new Awareness(doc));
    for (const me of ['changed', 'still real']) {
      mine.setLocalState({ me });
      applyAwarenessUpdate(peer, encodeAwarenessUpdate(mine, [mine.clientID]), 'mine');
      expect(peer.getStates().get(mine.clientID)).toEqual({ me });
    }
    // A peer saying this tab left does not remove it either (y-protocols' own rule, kept).
    applyAwarenessUpdate(mine, update([{ id: mine.clientID, clock: clock + 5, state: null }]), 'peer');
    expect(mine.getLocalState()).toEqual({ me: 'still real' });
  });

  it('still lets this tab leave: its state goes and its clock moves on, so peers hear it is gone', () => {
    const mine = awareness();
    mine.setLocalState({ me: 'here' });
    const peer = awareness((doc) => new Awareness(doc));
    applyAwarenessUpdate(peer, encodeAwarenessUpdate(mine, [mine.clientID]), 'mine');
    mine.setLocalState(null);
    applyAwarenessUpdate(peer, encodeAwarenessUpdate(mine, [mine.clientID]), 'mine');
    expect(peer.getStates().has(mine.clientID)).toBe(false);
  });
});
