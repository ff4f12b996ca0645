import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, toBase64Url } from './bytes';

describe('base64', () => {
  it('encodes every length and byte value as Node does, and decodes back', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 255, 0x8000 - 1, 0x8000, 0x8000 + 1, 131_104]) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 131 + (i >> 8)) & 0xff);
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(fromBase64(text)).toEqual(bytes);
      expect(fromBase64(toBase64Url(bytes))).toEqual(bytes);
    }
  });

  it('refuses what is not base64', () => {
    for (const bad of ['a', 'ab=c', 'ab c', ' abcd', '====', 'abc===', 'é', 'ab\ncd'])
      expect(() => fromBase64(bad)).toThrow(TypeError);
  });
});
