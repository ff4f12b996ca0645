// Where `wus add` reads work units from: an NDJSON file (one WorkUnitLine per line), a folder of binary
// input files (one unit per file, in name order, its tag the file name), or stdin (spooled to a temporary
// file first, so that it can be read twice: once to check every line, once to upload).
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { failure, type ClientResult, success } from '../errors';
import { workUnitLine } from '../work-units';

export interface WorkUnitSource {
  /** How messages name the input. */
  readonly label: string;
  /** What identifies the input between runs, for resuming: its resolved path, or `-` for stdin. */
  readonly key: string;
  /** The units as NDJSON lines, from the start each time it is called; `where` names a line for messages. */
  lines(): AsyncGenerator<SourceLine>;
}

export interface SourceLine {
  readonly text: string;
  readonly where: string;
  /** The line's place in an NDJSON text, for `file:line:column` when it is not JSON. */
  readonly at?: { readonly file: string; readonly line: number };
  /** Why the line cannot be read at all (its bytes are not UTF-8); `text` is then empty. */
  readonly problem?: string;
}

/**
 * The file's lines, split on its bytes and each decoded strictly: a line that is not UTF-8 (a Latin-1 export, a
 * binary file) is named, where decoding the stream as a whole would have turned its bytes into U+FFFD and
 * uploaded a changed tag without a word. (A newline byte never occurs inside a UTF-8 sequence.)
 */
async function* ndjsonFile(path: string, label: string): AsyncGenerator<SourceLine> {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const input = createReadStream(path);
  let number = 0;
  // The start of a line not yet ended, in the chunks it came in (concatenated once, when it ends).
  let pending: Buffer[] = [];
  const line = (bytes: Buffer): SourceLine | null => {
    number++;
    const where = `${label} line ${number}`;
    const ended = bytes.at(-1) === 13 ? bytes.subarray(0, -1) : bytes;
    let read: string;
    try {
      read = utf8.decode(ended);
    } catch {
      return { text: '', where, at: { file: label, line: number }, problem: 'not UTF-8 text' };
    }
    // A byte-order mark before the first line is not JSON, and the coordinator skips it too.
    const text = number === 1 ? read.replace(/^\uFEFF/, '') : read;
    // Blank lines carry no unit; the coordinator skips them too.
    return text.trim() === '' ? null : { text, where, at: { file: label, line: number } };
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
        pending.push(chunk.subarray(start, end));
        const read = line(Buffer.concat(pending));
        pending = [];
        start = end + 1;
        if (read) yield read;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    const last = pending.length > 0 ? line(Buffer.concat(pending)) : null;
    if (last) yield last;
  } finally {
    input.destroy();
  }
}

function folderSource(path: string): WorkUnitSource {
  // A link to nothing is not a unit (and no reason to stop): only regular files that are there count.
  const names = readdirSync(path)
    .filter((name) => !name.startsWith('.') && statSync(join(path, name), { throwIfNoEntry: false })?.isFile())
    .sort();
  return {
    label: path,
    key: resolve(path),
    async *lines() {
      for (const name of names)
        yield { text: workUnitLine({ input: readFileSync(join(path, name)), tag: name }), where: join(path, name) };
    },
  };
}

/** `path` as a source of work units: `-` is stdin (spool it first with `spoolStdin`). */
export function workUnitSource(path: string): ClientResult<WorkUnitSource> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return failure({ code: 'invalid_input', message: `${path}: no such file or folder` });
  }
  if (isDir) return success(folderSource(path));
  return success({ label: path, key: resolve(path), lines: () => ndjsonFile(path, path) });
}

/** Copies stdin to a temporary file and returns it as the source (keyed `-`), with a function that removes it. */
export async function spoolStdin(
  stdin: NodeJS.ReadableStream,
): Promise<{ readonly source: WorkUnitSource; readonly remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-stdin-'));
  const file = join(dir, 'stdin.ndjson');
  await pipeline(stdin, createWriteStream(file));
  return {
    source: { label: 'stdin', key: '-', lines: () => ndjsonFile(file, 'stdin') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
