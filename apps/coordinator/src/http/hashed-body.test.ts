import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { declaredLength, drain, hashedBody } from './hashed-body';

const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });

describe('hashed body', () => {
  it('hashes every byte read, whatever the chunks', async () => {
    const body = hashedBody(streamOf('{"a":', '1}\n', ''), 8);
    await drain(body.stream, 100);
    expect(body.digest()).toBe(createHash('sha256').update('{"a":1}\n').digest('hex'));
  });

  it('refuses a body that ends short of its declared length, as a cut connection does, instead of ending early', async () => {
    // The node adapter hands a handler whose client went away an empty (or short) stream that simply ends.
    for (const chunks of [[], ['{"a":1}\n']]) {
      const body = hashedBody(streamOf(...chunks), 16);
      const read = drain(body.stream, 100);
      await expect(read).rejects.toBeInstanceOf(ApiError);
      await expect(read).rejects.toMatchObject({ code: 'bad_request' });
    }
  });

  it('takes a body without a declared length as it ends (chunked: Node holds it to its framing)', async () => {
    const body = hashedBody(streamOf('x'));
    await expect(drain(body.stream, 100)).resolves.toBeUndefined();
  });

  it('reads a declared length only when it is one', () => {
    expect(declaredLength('42')).toBe(42);
    expect([
      declaredLength(undefined),
      declaredLength('-1'),
      declaredLength('4e3'),
      declaredLength('99999999999999999999'),
    ]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
