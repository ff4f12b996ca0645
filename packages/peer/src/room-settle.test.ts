import { describe, expect, it } from 'vitest';
import { EXPECTED_AT_MOST, QUIET_MS, RoomSettle } from './room-settle';

/** Connections by id: heard from or not, and opened by the remote peer (answering this tab) unless said otherwise. */
const conns = (...entries: ([string, boolean] | [string, boolean, boolean])[]) =>
  new Map(entries.map(([id, heard, answered = true]) => [id, { heard, answered }]));

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

  it('waits for a few of a crowded room, not for all of it', () => {
    const room = new RoomSettle();
    const some = conns(...Array.from({ length: EXPECTED_AT_MOST }, (_, i): [string, boolean] => [`p${i}`, true]));
    room.settled(0, true, some, 200);
    expect(room.settled(QUIET_MS, true, some, 200)).toBe(true);
  });
});
