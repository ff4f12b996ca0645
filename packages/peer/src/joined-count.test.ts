import { describe, expect, it } from 'vitest';
import { JoinedCount, type SignalingSocket } from './joined-count';

/** A signaling socket as lib0's Observable is to its listeners: `emit` is what y-webrtc's socket does per message. */
function socket() {
  const listeners = new Set<(message: unknown) => void>();
  const s: SignalingSocket & { emit(message: unknown): void } = {
    on: (_name, f) => listeners.add(f),
    off: (_name, f) => listeners.delete(f),
    emit: (message) => {
      for (const f of listeners) f(message);
    },
  };
  return s;
}

describe('the others a room had as this tab joined, as the signaling server said', () => {
  it("reads the room's own `joined`, and nothing else", () => {
    const count = new JoinedCount();
    const a = socket();
    count.hear([a], 'room');
    expect(count.others).toBe(0);
    a.emit({ type: 'joined', topic: 'another room', others: 5 });
    a.emit({ type: 'joined', topic: 'room', others: -1 });
    a.emit({ type: 'pong' });
    expect(count.others).toBe(0);
    a.emit({ type: 'joined', topic: 'room', others: 2 });
    expect(count.others).toBe(2);
  });

  it('listens to a socket once however often a provider brings it, and stops when told', () => {
    const count = new JoinedCount();
    const a = socket();
    const offs = count.hear([a], 'room');
    expect(count.hear([a], 'room')).toEqual([]);
    for (const off of offs) off();
    a.emit({ type: 'joined', topic: 'room', others: 3 });
    expect(count.others).toBe(0);
  });
});
