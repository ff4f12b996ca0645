import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { MAX_CLOCK_STEP, MAX_STATELESS_CLOCKS, RoomAwareness, STALE_CLOCK_MS } from './room-awareness';

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
  vi.useRealTimers();
});

/** Hands `from`'s own entry to `to`, as the room would. */
const hear = (to: Awareness, from: Awareness) =>
  applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [from.clientID]), 'peer');

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

  for (const forged of [null, { head: 'forged', blobs: [] }])
    it(`a peer cannot keep another peer's newer states (its head, its blobs) from this tab: ${forged ? 'a state' : 'gone'} at 2^52`, () => {
      // From the review (peer-review.md, finding 2): every later state of the honest peer was ignored, here and by
      // every tab this one relayed the forged clock to.
      const tab = awareness();
      const honest = awareness();
      honest.setLocalState({ head: null, blobs: [] });
      hear(tab, honest);

      applyAwarenessUpdate(tab, update([{ id: honest.clientID, clock: 2 ** 52, state: forged }]), 'mallory');
      expect(tab.getStates().get(honest.clientID)).toEqual({ head: null, blobs: [] });

      honest.setLocalState({ head: 'signed head #42', blobs: ['ab'.repeat(32)] });
      hear(tab, honest);
      expect(tab.getStates().get(honest.clientID)).toEqual({ head: 'signed head #42', blobs: ['ab'.repeat(32)] });
    });

  it("a peer's clock pinned ahead within the step holds its owner off only until it goes stale", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tab = awareness();
    const honest = awareness();
    honest.setLocalState({ n: 1 });
    hear(tab, honest);
    const clock = honest.meta.get(honest.clientID)?.clock as number;
    applyAwarenessUpdate(tab, update([{ id: honest.clientID, clock: clock + MAX_CLOCK_STEP, state: null }]), 'mallory');
    expect(tab.getStates().has(honest.clientID)).toBe(false);
    honest.setLocalState({ n: 2 });
    hear(tab, honest);
    expect(tab.getStates().has(honest.clientID)).toBe(false);

    // (y-protocols stamps updates with the real Date.now, taken before it was faked: a second's slack.)
    vi.setSystemTime(Date.now() + STALE_CLOCK_MS + 1_000);
    honest.setLocalState({ n: 3 });
    hear(tab, honest);
    expect(tab.getStates().get(honest.clientID)).toEqual({ n: 3 });
  });

  it("takes an honest peer's every state, its missed ones caught up, and its leaving and coming back", () => {
    const tab = awareness();
    const honest = awareness();
    for (let n = 0; n < 200; n++) {
      honest.setLocalState({ n });
      hear(tab, honest);
      expect(tab.getStates().get(honest.clientID)).toEqual({ n });
    }
    // A link down a while: the updates between are missed, the next one carries the clock on.
    for (let n = 0; n < MAX_CLOCK_STEP; n++) honest.setLocalState({ missed: n });
    hear(tab, honest);
    expect(tab.getStates().get(honest.clientID)).toEqual({ missed: MAX_CLOCK_STEP - 1 });
    // Its provider renewed: gone, then back under the same id.
    honest.setLocalState(null);
    hear(tab, honest);
    expect(tab.getStates().has(honest.clientID)).toBe(false);
    honest.setLocalState({ back: true });
    hear(tab, honest);
    expect(tab.getStates().get(honest.clientID)).toEqual({ back: true });
  });

  it("relays a peer timed out here as y-webrtc does, with the peer's clock", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tab = awareness();
    const honest = awareness();
    honest.setLocalState({ n: 0 });
    hear(tab, honest);
    const relayed: Uint8Array[] = [];
    tab.on('update', ({ added, updated, removed }: Record<string, number[]>) =>
      relayed.push(encodeAwarenessUpdate(tab, [...(added ?? []), ...(updated ?? []), ...(removed ?? [])])),
    );
    // y-protocols times a peer out 30 to 33 s after it was last heard, and y-webrtc relays that.
    vi.setSystemTime(Date.now() + 35_000);
    removeAwarenessStates(tab, [honest.clientID], 'timeout');
    const peer = awareness((doc) => new Awareness(doc));
    hear(peer, honest);
    applyAwarenessUpdate(peer, relayed[0] as Uint8Array, 'tab');
    expect(peer.getStates().has(honest.clientID)).toBe(false);
  });

  it('takes a peer heard again after a long silence at any clock', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tab = awareness();
    const honest = awareness();
    honest.setLocalState({ n: 0 });
    hear(tab, honest);
    // This tab cut off for an hour: the peer's state timed out here; it went on, a renewal every 15 s and more.
    removeAwarenessStates(tab, [honest.clientID], 'timeout');
    vi.setSystemTime(Date.now() + 3_600_000);
    for (let n = 1; n <= 1_000; n++) honest.setLocalState({ n });
    hear(tab, honest);
    expect(tab.getStates().get(honest.clientID)).toEqual({ n: 1_000 });
  });
});
