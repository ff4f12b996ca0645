// Work-unit inputs as a researcher gives them: an NDJSON file (one {"input", "tag"?, "expected"?} per line,
// as the coordinator takes them), or binary files, one work unit each, tagged with the file's name. Read
// twice: once to check every unit against the job and count them before anything is sent, so that a bad
// line never leaves half an upload behind; then in batches, the same batches every time, so that an upload
// resumes by batch number.
import { workUnitProblem } from '@bricolage/client';
import { fail, inputCheckProblem, type JobSpec, ok, type Result, toBase64 } from '@bricolage/protocol';

/**
 * What every work unit of a job must be: its input and output sizes, and (the spec) the input checks the
 * coordinator applies at upload, so that a unit it would refuse is found before the first batch is sent.
 */
export interface UnitShape {
  readonly input: number;
  readonly output: number;
  readonly spec?: JobSpec;
}

export interface Batch {
  readonly index: number;
  /** Work units in this batch, and how many came before it. */
  readonly units: number;
  readonly before: number;
  /** Bytes of the source (file bytes) this batch covers. */
  readonly sourceBytes: number;
  /** The NDJSON request body. */
  readonly body: Blob;
  /** For an NDJSON source, the file's line number of each unit: the coordinator's "line k" is the batch's. */
  readonly lines: readonly number[] | null;
}

export interface InputSource {
  /** What a person recognises: `inputs.ndjson`, or `1,000 files`. */
  readonly label: string;
  readonly bytes: number;
  /** Names, sizes and modification times: the same files give the same fingerprint, for resuming. */
  readonly fingerprint: string;
  /** Reads every unit once; the number of units, or the first problem with where it is. */
  check(shape: UnitShape, signal: AbortSignal): Promise<Result<number>>;
  batches(unitsPerBatch: number, maxBytes: number): AsyncIterable<Batch>;
}

const encoder = new TextEncoder();

interface Line {
  readonly text: string;
  readonly number: number;
  /** Bytes of the line in the file, its newline included. */
  readonly bytes: number;
  /** Its bytes are not UTF-8 (then `text` is empty): named, never sent with U+FFFD in their place. */
  readonly notUtf8?: true;
}

/**
 * The non-blank lines of a text file, streamed: split on its bytes and each decoded strictly, as the CLI does, so
 * that a line that is not UTF-8 (a Latin-1 export) is named rather than uploaded changed. A newline byte never
 * occurs inside a UTF-8 sequence.
 */
async function* linesOf(file: Blob, signal?: AbortSignal): AsyncIterable<Line> {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const reader = file.stream().getReader();
  // The start of a line not yet ended, in the chunks it came in.
  let pending: Uint8Array[] = [];
  let number = 0;
  const emit = (parts: Uint8Array[]): Line | null => {
    number++;
    const line = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
    let text: string;
    try {
      text = utf8.decode(line);
    } catch {
      return { text: '', number, bytes: line.length + 1, notUtf8: true };
    }
    // A byte-order mark before the first line is not JSON, and the coordinator skips it too.
    if (number === 1) text = text.replace(/^\uFEFF/, '');
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
    return trimmed.trim() === '' ? null : { text: trimmed, number, bytes: line.length + 1 };
  };
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      if (done) break;
      let start = 0;
      for (let end = value.indexOf(10); end >= 0; end = value.indexOf(10, start)) {
        pending.push(value.subarray(start, end));
        const line = emit(pending);
        pending = [];
        start = end + 1;
        if (line) yield line;
      }
      if (start < value.length) pending.push(value.subarray(start));
    }
    const last = pending.length > 0 ? emit(pending) : null;
    if (last) yield last;
  } finally {
    reader.releaseLock();
  }
}

/** One array of the parts of a line that came in several chunks. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

export function ndjsonSource(file: File): InputSource {
  return {
    label: file.name,
    bytes: file.size,
    fingerprint: `ndjson:${file.name}:${file.size}:${file.lastModified}`,
    async check(shape, signal) {
      let units = 0;
      for await (const line of linesOf(file, signal)) {
        if (line.notUtf8) return fail('bad_request', `${file.name} line ${line.number}: not UTF-8 text`);
        const problem = workUnitProblem(line.text, shape, shape.spec);
        if (problem) {
          const column = problem.column === undefined ? '' : `, column ${problem.column}`;
          return fail('bad_request', `${file.name} line ${line.number}${column}: ${problem.message}`);
        }
        units++;
      }
      if (signal.aborted) return fail('bad_request', 'cancelled');
      if (units === 0) return fail('bad_request', `${file.name} has no work units (no non-blank lines)`);
      return ok(units);
    },
    async *batches(unitsPerBatch, maxBytes) {
      let parts: Uint8Array[] = [];
      let lines: number[] = [];
      let bytes = 0;
      let sourceBytes = 0;
      let index = 0;
      let before = 0;
      const cut = (): Batch => {
        const batch = { index, units: lines.length, before, sourceBytes, body: new Blob(parts as BlobPart[]), lines };
        index++;
        before += lines.length;
        parts = [];
        lines = [];
        bytes = 0;
        sourceBytes = 0;
        return batch;
      };
      for await (const line of linesOf(file)) {
        // check() refused the file already; a file changed since is not sent altered.
        if (line.notUtf8) throw new Error(`${file.name} line ${line.number}: not UTF-8 text`);
        const encoded = encoder.encode(`${line.text}\n`);
        if (lines.length > 0 && (lines.length >= unitsPerBatch || bytes + encoded.length > maxBytes)) yield cut();
        parts.push(encoded);
        lines.push(line.number);
        bytes += encoded.length;
        sourceBytes += line.bytes;
      }
      if (lines.length > 0) yield cut();
    },
  };
}

/** Input files with the path each is known by: its tag. */
export interface NamedFile {
  readonly path: string;
  readonly file: File;
}

export function binarySource(files: readonly NamedFile[]): InputSource {
  // One order for every reading, so that batch n is the same files on a resume.
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bytes = sorted.reduce((n, f) => n + f.file.size, 0);
  return {
    label: `${sorted.length.toLocaleString('en')} file${sorted.length === 1 ? '' : 's'}`,
    bytes,
    fingerprint: `files:${sorted.map((f) => `${f.path}:${f.file.size}:${f.file.lastModified}`).join('|')}`,
    async check(shape, signal) {
      if (sorted.length === 0) return fail('bad_request', 'no input files');
      const checked = shape.spec?.kind === 'wgsl' && (shape.spec.inputChecks?.length ?? 0) > 0 ? shape.spec : null;
      for (const { path, file } of sorted) {
        if (signal.aborted) return fail('bad_request', 'cancelled');
        if (file.size !== shape.input)
          return fail('bad_request', `${path} is ${file.size} bytes; each input file must be the job's ${shape.input}`);
        if (path.length > 200) return fail('bad_request', `${path}: a tag (the file's path) is at most 200 characters`);
        const outOfBounds = checked && inputCheckProblem(checked, new Uint8Array(await file.arrayBuffer()));
        if (outOfBounds) return fail('bad_request', `${path}: ${outOfBounds}`);
      }
      return ok(sorted.length);
    },
    async *batches(unitsPerBatch, maxBytes) {
      let parts: string[] = [];
      let size = 0;
      let sourceBytes = 0;
      let index = 0;
      let before = 0;
      const cut = (): Batch => {
        const batch = { index, units: parts.length, before, sourceBytes, body: new Blob(parts), lines: null };
        index++;
        before += parts.length;
        parts = [];
        size = 0;
        sourceBytes = 0;
        return batch;
      };
      for (const { path, file } of sorted) {
        const line = `${JSON.stringify({ input: toBase64(new Uint8Array(await file.arrayBuffer())), tag: path })}\n`;
        if (parts.length > 0 && (parts.length >= unitsPerBatch || size + line.length > maxBytes)) yield cut();
        parts.push(line);
        size += line.length;
        sourceBytes += file.size;
      }
      if (parts.length > 0) yield cut();
    },
  };
}
