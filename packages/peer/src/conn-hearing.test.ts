import { Awareness } from 'y-protocols/awareness';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ConnHearing, isAwareness } from './conn-hearing';
import { awarenessOf, queryAwareness, syncStep1, syncStep2, update } from './testing/y-messages';

describe('what a connection carried from its peer', () => {
  const doc = new Y.Doc();
  doc.getMap('units').set('a', 1);
  const awareness = new Awareness(doc);
  afterAll(() => doc.destroy());

  it("tells y-webrtc's awareness from its sync messages and its query for awareness", () => {
    expect(isAwareness(awarenessOf(awareness))).toBe(true);
    for (const other of [syncStep1(doc), syncStep2(doc), update(Y.encodeStateAsUpdate(doc)), queryAwareness()])
      expect(isAwareness(other)).toBe(false);
    expect(isAwareness(new Uint8Array(0))).toBe(false);
    expect(isAwareness('\u0001')).toBe(false);
  });

  it("hears a connection on any message, and its peer's presence only with its awareness", () => {
    const hearing = new ConnHearing();
    const conn = {};
    expect(hearing.receive(conn, syncStep2(doc))).toEqual({ firstData: true, firstAwareness: false });
    expect(hearing.heard(conn)).toBe(true);
    expect(hearing.presenceFrom(conn)).toBe(false);
    expect(hearing.receive(conn, awarenessOf(awareness))).toEqual({ firstData: false, firstAwareness: true });
    expect(hearing.presenceFrom(conn)).toBe(true);
    expect(hearing.receive(conn, awarenessOf(awareness))).toEqual({ firstData: false, firstAwareness: false });
    expect(hearing.presenceFrom({})).toBe(false);
  });
});
