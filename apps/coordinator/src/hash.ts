// SHA-256 on the server's hot paths: node:crypto is synchronous and several times faster than WebCrypto.
import { createHash } from 'node:crypto';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Strict, canonical base64 (standard alphabet, padded), decoded natively in linear time. Node's own decoder
 * silently skips bad characters and takes base64url and loose padding, so the bytes are re-encoded and must
 * give back the very text: only a canonical encoding does. (A whole-string regex here once overflowed V8's
 * stack above ≈ 4.47 M characters, which made every large input or result a 500.)
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const b = Buffer.from(text, 'base64');
  if (b.toString('base64') !== text) return null;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
