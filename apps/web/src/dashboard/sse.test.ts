import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('yields events whole, however the text is split, and skips keep-alive comments', () => {
    const stream =
      'event: progress\ndata: {"a":1}\n\n: keep-alive\n\nevent: completed\r\ndata: {"b":\r\ndata: 2}\r\n\r\n';
    for (const size of [1, 2, 5, stream.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.slice(i, i + size)));
      expect(events).toEqual([
        { event: 'progress', data: '{"a":1}' },
        { event: 'completed', data: '{"b":\n2}' },
      ]);
    }
  });

  it('holds an event back until its blank line, and names an unnamed one "message"', () => {
    const parser = new SseParser();
    expect(parser.push('data: x\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
