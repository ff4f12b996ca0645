// The lines of an NDJSON byte stream, split on its bytes and each decoded strictly: a line that is not UTF-8 (a
// Latin-1 export, a binary file) is named, where decoding the stream as a whole would have turned its bytes into
// U+FFFD and uploaded a changed tag without a word. (A newline byte never occurs inside a UTF-8 sequence.) The
// CLI's `wus add` and the dashboard's upload read their files through it.
import { concatBytes } from '@bricolage/protocol';

export interface ByteLine {
  /** 1-based, blank lines counted. */
  readonly number: number;
  /** The line without its `\r\n` or `\n` (and, on the first, a byte-order mark); null when it is not UTF-8. */
  readonly text: string | null;
  /** Bytes of the line in the stream, its newline included. */
  readonly bytes: number;
}

export async function* utf8Lines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ByteLine> {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let number = 0;
  // The start of a line not yet ended, in the chunks it came in (joined once, when it ends).
  let pending: Uint8Array[] = [];
  const line = (parts: readonly Uint8Array[]): ByteLine => {
    number++;
    const all = parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts);
    const ended = all.at(-1) === 13 ? all.subarray(0, -1) : all;
    let text: string | null;
    try {
      text = utf8.decode(ended);
    } catch {
      text = null;
    }
    // A byte-order mark before the first line is not JSON, and the coordinator skips it too.
    if (number === 1 && text !== null) text = text.replace(/^\uFEFF/, '');
    return { number, text, bytes: all.length + 1 };
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, end));
      yield line(pending);
      pending = [];
      start = end + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield line(pending);
}
