// Reads a request body as lines without holding more than one line (plus a chunk) in memory. Lines are
// found in the bytes and each is decoded once, whole, so the work is linear in the body's size however
// it is chunked; a newline byte never occurs inside a multibyte UTF-8 character, so splitting there is safe.
import { ApiError } from './errors';

export async function* ndjsonLines(
  body: ReadableStream<Uint8Array> | null,
  maxLineBytes: number,
  maxTotalBytes: number,
): AsyncGenerator<{ line: string; number: number }> {
  if (!body) return;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The pieces of the line read so far, kept as the chunks they arrived in until its newline arrives.
  let pieces: Uint8Array[] = [];
  let pending = 0;
  let total = 0;
  let number = 0;
  const tooLong = () => new ApiError('payload_too_large', `line ${number + 1} exceeds ${maxLineBytes} bytes`);
  const finish = (last: Uint8Array): { line: string; number: number } => {
    const whole = pieces.length === 0 ? last : concat(pieces, pending, last);
    pieces = [];
    pending = 0;
    number++;
    try {
      return { line: decoder.decode(whole), number };
    } catch {
      throw new ApiError('bad_request', `line ${number}: not valid UTF-8`);
    }
  };
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxTotalBytes) throw new ApiError('payload_too_large', `upload exceeds ${maxTotalBytes} bytes`);
      let start = 0;
      for (let nl = value.indexOf(0x0a); nl >= 0; nl = value.indexOf(0x0a, start)) {
        if (pending + nl - start > maxLineBytes) throw tooLong();
        const line = finish(value.subarray(start, nl));
        if (line.line.trim() !== '') yield line;
        start = nl + 1;
      }
      if (start < value.length) {
        pending += value.length - start;
        if (pending > maxLineBytes) throw tooLong();
        pieces.push(value.subarray(start));
      }
    }
    if (pending > 0) {
      const line = finish(new Uint8Array(0));
      if (line.line.trim() !== '') yield line;
    }
  } finally {
    reader.releaseLock();
  }
}

function concat(pieces: readonly Uint8Array[], length: number, last: Uint8Array): Uint8Array {
  const out = new Uint8Array(length + last.length);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  out.set(last, at);
  return out;
}
