// Streamed bodies read line by line: chunk boundaries anywhere, even inside a UTF-8 character.
import { describe, expect, it } from 'vitest';
import { serverSentEvents, textLines } from './lines';

function stream(chunks: readonly (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === 'string' ? encoder.encode(c) : c);
      controller.close();
    },
  });
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('textLines', () => {
  it('splits on \\n and \\r\\n wherever the chunks break, and keeps a last unterminated line', async () => {
    expect(await all(textLines(stream(['a\r', '\nb', 'c\n\nd'])))).toEqual(['a', 'bc', '', 'd']);
  });

  it('decodes a character split across two chunks', async () => {
    const bytes = new TextEncoder().encode('é€\n');
    expect(await all(textLines(stream([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)])))).toEqual([
      'é€',
    ]);
  });
});

describe('serverSentEvents', () => {
  it('reads named events, multi-line data and default messages, and skips comments', async () => {
    const body = stream([
      ': keep-alive\n\nevent: progress\ndata: {"a":',
      '1}\n\n',
      'data: x\ndata: y\n\nevent: completed\n',
    ]);
    expect(await all(serverSentEvents(body))).toEqual([
      { event: 'progress', data: '{"a":1}' },
      { event: 'message', data: 'x\ny' },
    ]);
  });
});
