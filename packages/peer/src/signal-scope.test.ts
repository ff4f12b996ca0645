// Which topics a y-webrtc signaling socket carries: those of its own providers' rooms, out and in.
import { describe, expect, it } from 'vitest';
import { scopeSignaling } from './signal-scope';

const A = 'bricolage/v1/prj_00000000000000a1';
const B = 'bricolage/v1/prj_00000000000000b2';

/** A y-webrtc signaling socket: what it sent, and what its listener heard. */
function socket(...rooms: string[]) {
  const sent: unknown[] = [];
  const heard: [string, unknown][] = [];
  const providers = new Set(rooms.map((roomName) => ({ roomName })));
  return {
    sent,
    heard,
    providers,
    send: (message: unknown) => sent.push(message),
    emit: (name: string, args: unknown[]) => heard.push([name, args[0]]),
  };
}

describe("a signaling socket kept to its providers' rooms", () => {
  it('subscribes and publishes only in its own rooms', () => {
    const s = socket(A);
    scopeSignaling(s);
    s.send({ type: 'subscribe', topics: [A, B] });
    s.send({ type: 'subscribe', topics: [B] });
    s.send({ type: 'publish', topic: B, data: 'announce in B' });
    s.send({ type: 'publish', topic: A, data: 'announce in A' });
    s.send({ type: 'unsubscribe', topics: [B] });
    s.send({ type: 'ping' });
    expect(s.sent).toEqual([
      { type: 'subscribe', topics: [A] },
      { type: 'publish', topic: A, data: 'announce in A' },
      { type: 'unsubscribe', topics: [B] },
      { type: 'ping' },
    ]);
  });

  it("hears no other room's publishes", () => {
    const s = socket(A);
    scopeSignaling(s);
    s.emit('message', [{ type: 'publish', topic: B, data: 'x', sender: 'mallory' }]);
    s.emit('message', [{ type: 'publish', topic: A, data: 'y', sender: 'alice' }]);
    s.emit('message', [{ type: 'pong' }]);
    s.emit('connect', [{}]);
    expect(s.heard.map(([name, m]) => [name, (m as { data?: unknown }).data])).toEqual([
      ['message', 'y'],
      ['message', undefined],
      ['connect', undefined],
    ]);
  });

  it('follows the providers that share it (one URL), and is the same wrapped twice', () => {
    const s = socket(A);
    scopeSignaling(s);
    scopeSignaling(s);
    s.send({ type: 'subscribe', topics: [A, B] });
    s.providers.add({ roomName: B });
    s.send({ type: 'subscribe', topics: [A, B] });
    s.emit('message', [{ type: 'publish', topic: B, data: 'b' }]);
    expect(s.sent).toEqual([
      { type: 'subscribe', topics: [A] },
      { type: 'subscribe', topics: [A, B] },
    ]);
    expect(s.heard).toHaveLength(1);
  });
});
