// Work-unit inputs as a researcher gives them: an NDJSON file (one {"input", "tag"?, "expected"?} per line,
// as the coordinator takes them), or binary files, one work unit each, tagged with the file's name. Read
// twice: once to check every unit against the job and count them before anything is sent, so that a bad
// line never leaves half an upload behind; then in batches, the same batches every time, so that an upload
// resumes by batch number.
import { utf8Lines, workUnitProblem } from '@bricolage/client';
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

/** A blob's bytes, chunk by chunk, until `signal` aborts. */
async function* chunksOf(file: Blob, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  const reader = file.stream().getReader();
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The non-blank lines of a text file, streamed, each decoded strictly as the CLI does (utf8-lines.ts in the
 * client), so that a line that is not UTF-8 (a Latin-1 export) is named rather than uploaded changed.
 */
async function* linesOf(file: Blob, signal?: AbortSignal): AsyncIterable<Line> {
  for await (const { number, text, bytes } of utf8Lines(chunksOf(file, signal))) {
    if (text === null) yield { text: '', number, bytes, notUtf8: true };
    else if (text.trim() !== '') yield { text, number, bytes };
  }
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
