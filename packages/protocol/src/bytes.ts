// Byte encodings used on the wire: base64 (standard, padded) for payloads, base64url for keys, hex for hashes.

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('invalid hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;
B64_INDEX['-'.charCodeAt(0)] = 62;
B64_INDEX['_'.charCodeAt(0)] = 63;

/**
 * The platform's own base64 codec, where it has one (Chromium 140, Firefox 133, Safari 18.2; not Node 20):
 * a volunteer tab decodes every inline input and encodes every result, megabytes a second for short units,
 * and decoding them in JavaScript was the page's longest task (bench:runtime --profile, 2026-12-01).
 */
interface NativeBase64 {
  fromBase64?(text: string, options: { lastChunkHandling: 'loose' }): Uint8Array;
}
type NativeBytes = Uint8Array & { toBase64?(): string };
/**
 * The platform's decoder skips ASCII whitespace, which base64 here never holds. Five scans for a character
 * are far quicker than one regular expression over the whole text (0.003 against 0.09 ms for 33 KB).
 */
const hasWhitespace = (t: string): boolean =>
  t.includes(' ') || t.includes('\n') || t.includes('\r') || t.includes('\t') || t.includes('\f');

/**
 * Standard padded base64: the platform's encoder, else its btoa a chunk of bytes at a time (building the
 * string four characters at a time took 11 ms for a 128 KB result, on the page's thread, every work unit).
 */
export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as NativeBytes).toBase64;
  if (native) return native.call(bytes);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(binary);
}

/** Decodes standard or url-safe base64, padded or not. Throws TypeError on anything else. */
export function fromBase64(text: string): Uint8Array {
  const native = (Uint8Array as unknown as NativeBase64).fromBase64;
  if (native && !hasWhitespace(text)) {
    try {
      return native.call(Uint8Array, text, { lastChunkHandling: 'loose' });
    } catch {
      // Url-safe, or not base64 at all: the decoder below tells which.
    }
  }
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (text.length - end > 2 || end % 4 === 1) throw new TypeError('invalid base64 string');
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (B64_INDEX[c] as number) : -1;
    if (v < 0) throw new TypeError('invalid base64 string');
    buffer = ((buffer << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const fromBase64Url = fromBase64;

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
