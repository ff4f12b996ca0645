import { Awareness } from 'y-protocols/awareness';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ConnHearing } from './conn-hearing';
import { EXPECTED_AT_MOST, QUIET_MS, type RoomView, RoomSettle, type SettlingConn, untilSettled } from './room-settle';
import { awarenessOf, syncStep1, syncStep2 } from './testing/y-messages';

/**
 * A connection as the settling sees it: its id, heard from or not, opened by the remote peer (answering this tab)
 * unless said otherwise, and the sender tag of whoever opened it where the signal gate saw one.
 */
type Conn = [id: string, heard: boolean, answered?: boolean, sender?: string];

/** The room's connections by id. */
const conns = (...entries: Conn[]) =>
  new Map(entries.map(([id, heard, answered = true, sender]) => [id, { heard, answered, sender }]));

describe('when a room is known well enough to ask it for an asset', () => {
  it('alone: once nobody answered the announcement for a while after the signaling connected', () => {
    const room = new RoomSettle();
    expect(room.settled(0, false, conns())).toBe(false);
    expect(room.settled(5_000, false, conns())).toBe(false);
    expect(room.settled(5_100, true, conns())).toBe(false);
    expect(room.settled(5_100 + QUIET_MS - 1, true, conns())).toBe(false);
    expect(room.settled(5_100 + QUIET_MS, true, conns())).toBe(true);
  });

  it('not when the first connection synced while a second peer was still answering', () => {
    const room = new RoomSettle();
    room.settled(0, true, conns());
    room.settled(100, true, conns(['b', false]));
    expect(room.settled(300, true, conns(['b', true]))).toBe(false);
    // The holder's connection comes after the first one synced: the room waits for it, and to hear from it.
    room.settled(400, true, conns(['b', true], ['a', false]));
    expect(room.settled(400 + QUIET_MS, true, conns(['b', true], ['a', false]))).toBe(false);
    expect(room.settled(400 + QUIET_MS + 50, true, conns(['b', true], ['a', true]))).toBe(true);
  });

  it('with connections heard from and the signaling down (the coordinator gone), after the same quiet', () => {
    const room = new RoomSettle();
    room.settled(0, false, conns(['b', true]));
    expect(room.settled(QUIET_MS - 1, false, conns(['b', true]))).toBe(false);
    expect(room.settled(QUIET_MS, false, conns(['b', true]))).toBe(true);
  });

  it('a connection gone counts as a change too', () => {
    const room = new RoomSettle();
    room.settled(0, true, conns(['a', true], ['b', true]));
    room.settled(300, true, conns(['a', true]));
    expect(room.settled(600, true, conns(['a', true]))).toBe(false);
    expect(room.settled(300 + QUIET_MS, true, conns(['a', true]))).toBe(true);
  });

  it('not alone when the server said others were there, however long they take to answer', () => {
    const room = new RoomSettle();
    room.settled(0, true, conns(), 2);
    // Half a second of silence on a loaded machine: alone it would be settled, here it is not.
    expect(room.settled(10 * QUIET_MS, true, conns(), 2)).toBe(false);
    room.settled(6_000, true, conns(['b', true]), 2);
    expect(room.settled(6_000 + 2 * QUIET_MS, true, conns(['b', true]), 2)).toBe(false);
    room.settled(7_000, true, conns(['b', true], ['a', true]), 2);
    expect(room.settled(7_000 + QUIET_MS, true, conns(['b', true], ['a', true]), 2)).toBe(true);
  });

  it("not on a newcomer's connection: the peers there before it must answer, however long they take", () => {
    const room = new RoomSettle();
    // One other (the holder) was there; a tab that joined just after connects first, this tab opening to it.
    room.settled(0, true, conns(), 1);
    room.settled(100, true, conns(['newcomer', true, false]), 1);
    expect(room.settled(100 + 4 * QUIET_MS, true, conns(['newcomer', true, false]), 1)).toBe(false);
    room.settled(2_100, true, conns(['newcomer', true, false], ['holder', true]), 1);
    expect(room.settled(2_100 + QUIET_MS, true, conns(['newcomer', true, false], ['holder', true]), 1)).toBe(true);
  });

  it('with the senders named: not on the connection of a tab that joined after, even one it answered (crossing offers)', () => {
    const room = new RoomSettle();
    // The holder (key H) was there; the newcomer (key N) won a crossing of offers, so this tab answered it.
    room.settled(0, true, conns(), 1, ['H']);
    const newcomer = conns(['newcomer', true, true, 'N']);
    room.settled(100, true, newcomer, 1, ['H']);
    expect(room.settled(100 + 4 * QUIET_MS, true, newcomer, 1, ['H'])).toBe(false);
    // The holder's connection, whoever opened it, is the one waited for.
    const both = conns(['newcomer', true, true, 'N'], ['holder', true, false, 'H']);
    room.settled(2_100, true, both, 1, ['H']);
    expect(room.settled(2_100 + QUIET_MS, true, both, 1, ['H'])).toBe(true);
  });

  it('with the senders named: a tab that joined with this one is waited for though this tab opened its connection', () => {
    const room = new RoomSettle();
    const both = conns(['holder', true, true, 'H'], ['sibling', true, false, 'S']);
    room.settled(0, true, both, 2, ['H', 'S']);
    // Counting only the connections the others opened, this waited for the deadline.
    expect(room.settled(QUIET_MS, true, both, 2, ['H', 'S'])).toBe(true);
  });

  it("with the senders named: one from each of a key's tabs, and from the first few of a crowded room", () => {
    const room = new RoomSettle();
    // Connections heard from, each opened by one of A's two tabs or B's.
    const ab = conns(['p0', true, true, 'A'], ['p1', true, true, 'B']);
    const aba = conns(['p0', true, true, 'A'], ['p1', true, true, 'B'], ['p2', true, true, 'A']);
    room.settled(0, true, ab, 3, ['A', 'A', 'B']);
    expect(room.settled(QUIET_MS, true, ab, 3, ['A', 'A', 'B'])).toBe(false);
    room.settled(1_000, true, aba, 3, ['A', 'A', 'B']);
    expect(room.settled(1_000 + QUIET_MS, true, aba, 3, ['A', 'A', 'B'])).toBe(true);
    const crowd = Array.from({ length: 16 }, (_, i) => `k${i}`);
    const first = conns(...crowd.slice(0, EXPECTED_AT_MOST).map((sender, i): Conn => [`p${i}`, true, true, sender]));
    const other = new RoomSettle();
    other.settled(0, true, first, 200, crowd);
    expect(other.settled(QUIET_MS, true, first, 200, crowd)).toBe(true);
  });

  it('waits for a few of a crowded room, not for all of it', () => {
    const room = new RoomSettle();
    const some = conns(...Array.from({ length: EXPECTED_AT_MOST }, (_, i): Conn => [`p${i}`, true]));
    room.settled(0, true, some, 200);
    expect(room.settled(QUIET_MS, true, some, 200)).toBe(true);
  });
});

describe("the first fetch's wait for the room, over y-webrtc's messages", () => {
  const holderDoc = new Y.Doc();
  const holderAwareness = new Awareness(holderDoc);
  holderAwareness.setLocalState({ blobs: ['the .wasm'] });
  afterAll(() => holderDoc.destroy());

  /** A connection the holder opened in answer to this tab's announcement; `synced` set as y-webrtc sets it. */
  const answered = () => ({ synced: false, peer: { initiator: false } });

  /** The room at a simulated time: `events` happen as their time is passed, between the wait's looks. */
  function room(
    events: [number, () => void][],
    others: number,
    conns: Map<string, SettlingConn>,
    hearing = new ConnHearing(),
  ) {
    let now = 0;
    const due = () => {
      while (events[0] && events[0][0] <= now) events.shift()?.[1]();
    };
    due();
    const view: RoomView = {
      deadline: 10_000,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
        due();
      },
      signaling: () => true,
      conns: () => conns,
      others: () => others,
      hearing,
      left: () => false,
    };
    return { view, now: () => now };
  }

  it("waits for the holder's awareness, not its sync reply, which comes first when the holder connects late", async () => {
    // The ONNX mesh test, run final-1: the holder answered this tab's sync step 1 as it arrived, and connected (and
    // sent its awareness) 1.8 s later; the tab settled 28 ms before that, knew of no holder, and asked the coordinator.
    const hearing = new ConnHearing();
    const conns = new Map<string, SettlingConn>();
    const holder = answered();
    const { view, now } = room(
      [
        [600, () => conns.set('holder', holder)],
        [
          650,
          () => {
            holder.synced = true;
            hearing.receive(holder, syncStep2(holderDoc));
          },
        ],
        [2_450, () => hearing.receive(holder, awarenessOf(holderAwareness))],
      ],
      1,
      conns,
      hearing,
    );
    expect(await untilSettled(view)).toEqual({ settled: true, conns: 1 });
    expect(now()).toBeGreaterThanOrEqual(2_450);
    expect(now()).toBeLessThan(2_450 + 100);
  });

  it('counts a connection whose awareness came though y-webrtc never marks it synced (one made after the room synced)', async () => {
    const hearing = new ConnHearing();
    const conns = new Map<string, SettlingConn>();
    const peer = answered();
    const { view, now } = room(
      [
        [300, () => conns.set('peer', peer)],
        [400, () => hearing.receive(peer, syncStep1(holderDoc))],
        [420, () => hearing.receive(peer, awarenessOf(holderAwareness))],
      ],
      1,
      conns,
      hearing,
    );
    expect(await untilSettled(view)).toEqual({ settled: true, conns: 1 });
    expect(now()).toBe(300 + QUIET_MS);
  });

  it('holds the first fetch no longer than the deadline for a peer that never sends its awareness', async () => {
    const hearing = new ConnHearing();
    const conns = new Map<string, SettlingConn>();
    const silent = answered();
    const { view, now } = room(
      [
        [300, () => conns.set('silent', silent)],
        [
          400,
          () => {
            silent.synced = true;
            hearing.receive(silent, syncStep2(holderDoc));
          },
        ],
      ],
      1,
      conns,
      hearing,
    );
    expect(await untilSettled(view)).toEqual({ settled: false, conns: 1 });
    expect(now()).toBe(view.deadline);
  });
});
