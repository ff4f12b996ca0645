// `bricolage results JOB --out FILE`: appends the job's finished work units to FILE as NDJSON (one ResultLine
// per line, as the coordinator sent it), after the last cursor already in FILE: run it again after a cut, or
// while the job runs, and it fetches only what is new. A line cut mid-write is dropped and fetched again.
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
import type { BricolageClient } from '@bricolage/client';
import type { JobId, JobState } from '@bricolage/protocol';
import { explain } from '../connection';
import type { ExitCode } from '../exit';
import type { Output } from '../io';
import { progress } from '../progress';
import { finished } from './watch';

const CHUNK = 1 << 20;
/** How the coordinator begins every result line (ResultLine's first field). */
const RESULT_START = '{"cursor":';

/**
 * Where a download into `path` resumes: the cursor of its last complete line (0 when it is empty or missing),
 * and how many lines it holds. A partial last line (a cut mid-write) is cut off first. Reads in chunks: a
 * results file may be far larger than memory.
 */
export function resumePoint(path: string): { cursor: number; lines: number } | { problem: string } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { cursor: 0, lines: 0 };
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
    let cursor = 0;
    if (lastNewline >= 0) {
      const length = lastNewline - previousNewline - 1;
      const last = new Uint8Array(length);
      readSync(fd, last, 0, length, previousNewline + 1);
      const parsed = (JSON.parse(new TextDecoder().decode(last)) as { cursor?: unknown }).cursor;
      if (typeof parsed !== 'number') return { problem: `${path} does not end with a result line (no cursor)` };
      cursor = parsed;
    }
    if (lastNewline + 1 < size) truncateSync(path, lastNewline + 1);
    return { cursor, lines };
  } catch (e) {
    return { problem: `${path} does not end with a result line: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

const encoder = new TextEncoder();

/** Writes all of `bytes`: a write to a nearly full disk may take only part of them and say so, not fail. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}

export async function results(out: Output, client: BricolageClient, job: JobId, file: string): Promise<ExitCode> {
  const io = out.io;
  const call = io.signal ? { signal: io.signal } : {};
  const shown = await client.getJob(job, call);
  if (!shown.ok) return out.fail(shown.error, explain(shown.error, client.url));
  const path = resolve(io.cwd, file);
  const start = resumePoint(path);
  if ('problem' in start)
    return out.fail({ code: 'invalid_input', message: start.problem }, 'Pass another --out, or move that file away.');
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
