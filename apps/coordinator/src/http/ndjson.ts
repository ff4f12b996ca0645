// Reads a request body as lines without holding more than one line (plus a chunk) in memory.
import { ApiError } from './errors';

export async function* ndjsonLines(
  body: ReadableStream<Uint8Array> | null,
  maxLineBytes: number,
  maxTotalBytes: number,
): AsyncGenerator<{ line: string; number: number }> {
  if (!body) return;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let total = 0;
  let number = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxTotalBytes) throw new ApiError('payload_too_large', `upload exceeds ${maxTotalBytes} bytes`);
      let text: string;
      try {
        text = decoder.decode(value, { stream: true });
      } catch {
        throw new ApiError('bad_request', `line ${number + 1}: body is not valid UTF-8`);
      }
      pending += text;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        number++;
        if (line.length > maxLineBytes)
          throw new ApiError('payload_too_large', `line ${number} exceeds ${maxLineBytes} bytes`);
        if (line.trim() !== '') yield { line, number };
        nl = pending.indexOf('\n');
      }
      if (pending.length > maxLineBytes)
        throw new ApiError('payload_too_large', `line ${number + 1} exceeds ${maxLineBytes} bytes`);
    }
    if (pending.trim() !== '') yield { line: pending, number: number + 1 };
  } finally {
    reader.releaseLock();
  }
}
