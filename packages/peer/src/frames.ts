// The blob channel's messages: a 4-byte big-endian header length, the header as JSON, then a chunk's bytes when
// there are any. One message per frame, never larger than a chunk and a small header.
import { BLOB_CHUNK_BYTES, BlobFrame } from '@bricolage/protocol/peer';

const MAX_HEADER_BYTES = 1024;
/** The largest message either side sends or accepts. */
export const MAX_FRAME_BYTES = 4 + MAX_HEADER_BYTES + BLOB_CHUNK_BYTES;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeFrame(header: BlobFrame, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(4 + head.length + payload.length);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  out.set(payload, 4 + head.length);
  return out;
}

export type Decoded =
  | { readonly ok: true; readonly header: BlobFrame; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: string };

/** Never throws: whatever a peer sends is checked, and anything malformed is a reason to drop it. */
export function decodeFrame(bytes: Uint8Array): Decoded {
  if (bytes.length < 4 || bytes.length > MAX_FRAME_BYTES) return { ok: false, reason: `a ${bytes.length}-byte frame` };
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (length > MAX_HEADER_BYTES || 4 + length > bytes.length) return { ok: false, reason: 'a malformed frame header' };
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes.subarray(4, 4 + length)));
  } catch (error) {
    return { ok: false, reason: `a frame header that is not JSON (${(error as Error).message})` };
  }
  const header = BlobFrame.safeParse(json);
  if (!header.success) return { ok: false, reason: 'a frame header of no known kind' };
  return { ok: true, header: header.data, payload: bytes.subarray(4 + length) };
}
