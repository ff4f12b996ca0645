// Where `wus add` reads work units from: an NDJSON file (one WorkUnitLine per line), a folder of binary
// input files (one unit per file, in name order, its tag the file name), or stdin (spooled to a temporary
// file first, so that it can be read twice: once to check every line, once to upload).
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { failure, type ClientResult, success } from '../errors';
import { utf8Lines } from '../utf8-lines';
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

/** The file's non-blank lines, each decoded strictly (utf8-lines.ts): one that is not UTF-8 is named, not changed. */
async function* ndjsonFile(path: string, label: string): AsyncGenerator<SourceLine> {
  const input = createReadStream(path);
  try {
    for await (const { number, text } of utf8Lines(input as AsyncIterable<Buffer>)) {
      const where = `${label} line ${number}`;
      const at = { file: label, line: number };
      if (text === null) yield { text: '', where, at, problem: 'not UTF-8 text' };
      // Blank lines carry no unit; the coordinator skips them too.
      else if (text.trim() !== '') yield { text, where, at };
    }
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
