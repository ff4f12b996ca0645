// `bricolage results JOB --out FILE`: appends the job's finished work units to FILE as NDJSON (one ResultLine
// per line, as the coordinator sent it), after the last cursor already in FILE: run it again after a cut, or
// while the job runs, and it fetches only what is new. A line cut mid-write is dropped and fetched again; a FILE
// that holds another job's results is refused.
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';
import type { ClientError } from '@bricolage/client';
import type { JobId, JobState, ResultLine } from '@bricolage/protocol';
import { explain, type Researcher } from '../connection';
import type { ExitCode } from '../exit';
import type { Output } from '../io';
import { progress } from '../progress';
import { finished } from './watch';

const CHUNK = 1 << 20;
/** How the coordinator begins every result line (ResultLine's first field). */
const RESULT_START = '{"cursor":';

/** The file's last result line, as much of it as tells whose result it is. */
export interface LastLine {
  readonly cursor: number;
  readonly workUnit: unknown;
  /** Absent when the line has no such field: then it is not compared. */
  readonly outputHash?: unknown;
}

/**
 * Where a download into `path` resumes: its last complete line (null when it is empty or missing), how many lines
 * it holds, and `whole`, the bytes up to the end of its last complete line: a partial last line (a cut mid-write)
 * is to be cut off, once the file is known to be this job's. Reads in chunks: a results file may be far larger
 * than memory.
 */
export function resumePoint(
  path: string,
): { last: LastLine | null; lines: number; whole: number; size: number } | { problem: string } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { last: null, lines: 0, whole: 0, size: 0 };
  }
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(CHUNK);
    let lines = 0;
    let lastNewline = -1;
    let previousNewline = -1;
    for (let at = 0; at < size; at += CHUNK) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, size - at), at);
      for (let i = 0; i < n; i++)
        if (buffer[i] === 10) {
          lines++;
          previousNewline = lastNewline;
          lastNewline = at + i;
        }
    }
    // What follows the last newline is a line cut mid-write, when it starts as every result line does; anything
    // else means this is not a results file, and it is left as it is.
    const tailLength = Math.min(size - (lastNewline + 1), RESULT_START.length);
    const tail = new Uint8Array(tailLength);
    readSync(fd, tail, 0, tailLength, lastNewline + 1);
    if (tailLength > 0 && !RESULT_START.startsWith(new TextDecoder().decode(tail)))
      return { problem: `${path} does not end with a result line` };
    let last: LastLine | null = null;
    if (lastNewline >= 0) {
      const length = lastNewline - previousNewline - 1;
      const bytes = new Uint8Array(length);
      readSync(fd, bytes, 0, length, previousNewline + 1);
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      const cursor = parsed.cursor;
      if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < 1)
        return { problem: `${path} does not end with a result line (no cursor)` };
      last = {
        cursor,
        workUnit: parsed.workUnit,
        ...('outputHash' in parsed ? { outputHash: parsed.outputHash } : {}),
      };
    }
    return { last, lines, whole: lastNewline + 1, size };
  } catch (e) {
    return { problem: `${path} does not end with a result line: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the file's last line is `job`'s result at its cursor. Cursors count each job's results from 1 and a
 * line does not name its job: without this, a file of another job's results would make the download skip as
 * many of this job's, or all of them, and say it was complete.
 */
async function checkOwner(
  client: Researcher,
  job: JobId,
  file: string,
  last: LastLine,
  signal: AbortSignal | undefined,
): Promise<{ ok: true } | { ok: false; error: ClientError; hint: string | undefined }> {
  let found: ResultLine | null = null;
  for await (const item of client.results(job, { after: last.cursor - 1, limit: 1, ...(signal ? { signal } : {}) })) {
    if (item.type === 'error') return { ok: false, error: item.error, hint: explain(item.error, client) };
    found ??= item.line;
  }
  const same =
    found !== null &&
    found.cursor === last.cursor &&
    found.workUnit === last.workUnit &&
    (last.outputHash === undefined || found.outputHash === last.outputHash);
  if (same) return { ok: true };
  return {
    ok: false,
    error: {
      code: 'invalid_input',
      message:
        found === null
          ? `${file} holds another job's results: its last line is at cursor ${last.cursor}, where ${job} has no result`
          : `${file} holds another job's results: its last line (cursor ${last.cursor}) is not ${job}'s result there`,
    },
    hint: `Pass another --out, one file per job (e.g. --out results-${job}.ndjson). Nothing was fetched or written.`,
  };
}

const encoder = new TextEncoder();

/** Writes all of `bytes`: a write to a nearly full disk may take only part of them and say so, not fail. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}

export async function results(out: Output, client: Researcher, job: JobId, file: string): Promise<ExitCode> {
  const io = out.io;
  const call = io.signal ? { signal: io.signal } : {};
  const shown = await client.getJob(job, call);
  if (!shown.ok) return out.fail(shown.error, explain(shown.error, client));
  const path = resolve(io.cwd, file);
  const found = resumePoint(path);
  if ('problem' in found)
    return out.fail({ code: 'invalid_input', message: found.problem }, 'Pass another --out, or move that file away.');
  if (found.last) {
    const owner = await checkOwner(client, job, file, found.last, io.signal);
    if (!owner.ok) return out.fail(owner.error, owner.hint);
  }
  // Only now that the file is known to be this job's is a line cut mid-write cut off.
  if (found.whole < found.size) truncateSync(path, found.whole);
  const start = { cursor: found.last?.cursor ?? 0, lines: found.lines };
  if (start.lines > 0) out.note(`${file} holds ${start.lines} results; fetching those after cursor ${start.cursor}`);

  const expected = finished(shown.value.progress);
  const bar = progress(out, 'downloading');
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    return out.fail(
      { code: 'invalid_input', message: `cannot write ${file}: ${(error as Error).message}` },
      'Pass another --out. Nothing was fetched.',
    );
  }
  let written = 0;
  let cursor = start.cursor;
  // Where the last whole line ends: a write that fails (a full disk) is cut back to it.
  let end = fstatSync(fd).size;
  try {
    for await (const item of client.results(job, { ...call, after: start.cursor })) {
      if (item.type === 'error') {
        bar.stop();
        return out.fail(
          item.error,
          `${written} results were saved to ${file} (up to cursor ${cursor}): run the same command again to fetch the rest.`,
        );
      }
      const line = encoder.encode(`${item.text}\n`);
      try {
        writeAll(fd, line);
      } catch (error) {
        // No half line is left to look like a result: what the file holds is whole, and a rerun resumes after it.
        try {
          ftruncateSync(fd, end);
        } catch {
          // Not a file that can be cut (a device): nothing of a half line stays in it either.
        }
        bar.stop();
        return out.fail(
          { code: 'invalid_input', message: `cannot write ${file}: ${(error as Error).message}` },
          `${written} results were saved to ${file} (up to cursor ${cursor}): make room, then run the same command again.`,
        );
      }
      end += line.length;
      written++;
      cursor = item.line.cursor;
      bar.update(start.lines + written, Math.max(expected, start.lines + written), 'results');
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    bar.stop();
  }
  const state = shown.value.job.state;
  const all = start.lines + written;
  return out.done({ job, file: path, written, total: all, cursor, state }, [
    `${file}: ${written} new results, ${all} in all (cursor ${cursor})`,
    ...(state === 'completed' ? [] : [stateNote(job, state, all, file)]),
  ]);
}

/** What a job that has not completed may still add: nothing, once it was cancelled. */
function stateNote(job: JobId, state: Exclude<JobState, 'completed'>, all: number, file: string): string {
  if (state === 'cancelled') return `${job} was cancelled: the ${all} results in ${file} are all it will ever have`;
  return `${job} is ${state}: run the same command later to fetch what finishes next`;
}
