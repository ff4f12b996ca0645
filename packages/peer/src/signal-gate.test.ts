import type { RoomSignal } from '@bricolage/protocol/peer';
import { describe, expect, it, vi } from 'vitest';
import { gateSignaling, readingOf } from './signal-gate';
import { roomKey, seal } from './testing/signal-bus';

const TOPIC = 'bricolage/v1/prj_00000000000000a1';

/** A lib0 Observable's emit, as y-webrtc's listener sees it. */
function socket() {
  const seen: [string, unknown][] = [];
  return { seen, emit: (name: string, args: unknown[]) => seen.push([name, args[0]]) };
}

describe('the signaling gate', () => {
  it('passes what is not a publish to its room at once, and the room publishes it admits in order', async () => {
    const key = await roomKey('secret', TOPIC);
    const s = socket();
    const admitted: [string, string][] = [];
    gateSignaling(s, {
      topic: TOPIC,
      key: async () => key,
      admit: (sender, signal) => {
        admitted.push([sender, signal.from]);
        return signal.from !== 'refused';
      },
    });
    const relay = async (from: string, sender = 'tag') => ({
      type: 'publish',
      topic: TOPIC,
      data: await seal({ type: 'announce', from }, key),
      sender,
    });
    const [first, refused, last] = [await relay('first'), await relay('refused'), await relay('last', 'other')];
    s.emit('message', [first]);
    s.emit('message', [refused]);
    s.emit('message', [{ type: 'pong' }]);
    s.emit('message', [{ type: 'publish', topic: 'another room', data: 'theirs' }]);
    s.emit('message', [last]);
    s.emit('connect', [{ type: 'connect' }]);
    expect(s.seen.map(([name]) => name)).toEqual(['message', 'message', 'connect']);
    await vi.waitFor(() => expect(s.seen).toHaveLength(5));
    expect(s.seen.slice(3)).toEqual([
      ['message', first],
      ['message', last],
    ]);
    expect(admitted).toEqual([
      ['tag', 'first'],
      ['tag', 'refused'],
      ['other', 'last'],
    ]);
  });

  it('drops, unread, a publish without a sender, not sealed with the key, or not a y-webrtc message; lets all through once closed', async () => {
    const key = await roomKey('secret', TOPIC);
    const s = socket();
    const unreadable: string[] = [];
    const gate = gateSignaling(s, {
      topic: TOPIC,
      key: async () => key,
      admit: () => true,
      unreadable: (why) => unreadable.push(why),
    });
    const data = await seal({ type: 'announce', from: 'a' }, key);
    s.emit('message', [{ type: 'publish', topic: TOPIC, data }]);
    s.emit('message', [{ type: 'publish', topic: TOPIC, data: 'bm90IHNlYWxlZA==', sender: 't' }]);
    s.emit('message', [{ type: 'publish', topic: TOPIC, data: { type: 'announce', from: 'a' }, sender: 't' }]);
    s.emit('message', [{ type: 'publish', topic: TOPIC, data: await seal({ from: 7 }, key), sender: 't' }]);
    await vi.waitFor(() => expect(unreadable).toHaveLength(4));
    expect(unreadable).toEqual(['not_a_relay', 'undecryptable', 'undecryptable', 'not_a_signal']);
    expect(s.seen).toEqual([]);
    gate.close();
    s.emit('message', [{ type: 'publish', topic: TOPIC, data }]);
    expect(s.seen).toHaveLength(1);
  });

  it('goes on to the next message when one throws in the listener it is passed to', async () => {
    const key = await roomKey('secret', TOPIC);
    const seen: unknown[] = [];
    const s = {
      emit: (_name: string, args: unknown[]) => {
        if ((args[0] as { sender: string }).sender === 'breaks') throw new Error('a listener broke');
        seen.push(args[0]);
      },
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    gateSignaling(s, { topic: TOPIC, key: async () => key, admit: () => true });
    const data = await seal({ type: 'announce', from: 'a' }, key);
    s.emit('message', [{ type: 'publish', topic: TOPIC, data, sender: 'breaks' }]);
    s.emit('message', [{ type: 'publish', topic: TOPIC, data, sender: 'fine' }]);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(warn).toHaveBeenCalledWith('a signaling message was dropped: a listener broke');
    warn.mockRestore();
  });

  it('reads a message as y-webrtc does: ignored (a peer id under no tag too), opening a connection, or for one it has', () => {
    const room = { peerId: 't.me', webrtcConns: new Map([['t.known', {}]]), bcConns: new Set(['t.same-browser']) };
    const offer = { type: 'offer', sdp: 'v=0' };
    const read = (signal: RoomSignal, maxConns = 16) => readingOf(room, maxConns, signal);
    expect(read({ type: 'announce', from: 't.new' })).toBe('opens');
    expect(read({ type: 'announce', from: 't.new' }, 1)).toBe('ignored');
    expect(read({ type: 'announce', from: 't.known' })).toBe('ignored');
    expect(read({ type: 'signal', from: 't.new', to: 't.me', signal: offer })).toBe('opens');
    expect(read({ type: 'signal', from: 't.known', to: 't.me', signal: { candidate: {} } })).toBe('existing');
    expect(read({ type: 'signal', from: 't.known', to: 't.me', signal: { type: 'answer', sdp: 'v=0' } })).toBe(
      'existing',
    );
    expect(read({ type: 'signal', from: 't.new', to: 't.me', signal: { type: 'answer', sdp: 'v=0' } })).toBe('ignored');
    expect(read({ type: 'signal', from: 't.new', to: 'someone else', signal: offer })).toBe('ignored');
    expect(read({ type: 'signal', from: 't.new', signal: offer })).toBe('ignored');
    expect(read({ type: 'signal', from: 't.new', to: 't.me' })).toBe('ignored');
    expect(read({ type: 'signal', from: 't.me', to: 't.me', signal: offer })).toBe('ignored');
    expect(read({ type: 'signal', from: 't.same-browser', to: 't.me', signal: offer })).toBe('ignored');
    expect(read({ type: 'hello', from: 't.new', to: 't.me' })).toBe('ignored');
    // A peer id under no sender tag: an older page's, or a page's that has not heard its tag; no peer takes it.
    expect(read({ type: 'announce', from: 'new' })).toBe('ignored');
    expect(read({ type: 'signal', from: 'new', to: 't.me', signal: offer })).toBe('ignored');
    expect(readingOf({ ...room, peerId: 'me' }, 16, { type: 'announce', from: 't.new' })).toBe('ignored');
  });
});
