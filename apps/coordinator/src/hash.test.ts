import { toBase64 } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './hash';

describe('decodeBase64', () => {
  it('decodes canonical padded base64 of every tail length', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7) & 0xff);
      expect(decodeBase64(toBase64(bytes))).toEqual(bytes);
    }
  });

  it('refuses what is not canonical base64', () => {
    for (const text of [
      'AAA', // length not a multiple of 4
      'AAAAA===',
      'AA=A',
      '=AAA',
      'AAA==',
      'AA AA',
      'AAAA\n',
      'AA-_', // base64url alphabet: Node's decoder would take it
      'AAA.',
      'AB==', // non-zero trailing bits: decodes to the same byte as AA==
      'AAB=',
      'ÀAAA',
    ])
      expect(decodeBase64(text), text).toBeNull();
  });

  // V8's regex engine ran out of stack on the old whole-string pattern above ≈ 4.47 M characters.
  it('decodes 32 MiB, and refuses a bad character at the very end of 32 MiB, without overflowing', () => {
    const bytes = Buffer.alloc(32 * 1024 * 1024, 'bricolage');
    const text = bytes.toString('base64');
    const decoded = decodeBase64(text);
    // Compared natively: a deep equality over 32 M elements takes minutes.
    expect(decoded && Buffer.compare(decoded, bytes)).toBe(0);
    expect(decodeBase64(`${text.slice(0, -4)}AA*A`)).toBeNull();
  });

  it('encodes as the protocol does, a view of a larger buffer included', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 131_072]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7) & 0xff);
      expect(encodeBase64(bytes)).toBe(toBase64(bytes));
      const inside = new Uint8Array(n + 8);
      inside.set(bytes, 5);
      expect(encodeBase64(inside.subarray(5, 5 + n))).toBe(toBase64(bytes));
    }
  });
});
