// `results --out` on a disk that fills up: the command says how many results were saved and how to go on,
// as it does for a cut download, instead of throwing the write's error from the middle of the download.
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { ResultItem } from '@bricolage/client';
import type { JobId } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { results } from './commands/results';
import type { Researcher } from './connection';
import { EXIT } from './exit';
import { Output } from './io';

const JOB = 'job_0123456789abcdef' as JobId;

/** A coordinator whose job has `n` results, each line as it would send it. */
function client(n: number): Researcher {
  return {
    url: 'http://grid.test',
    getJob: async () => ({
      ok: true,
      value: { job: { state: 'completed' }, progress: { counts: { validated: n, failed: 0 }, knownAnswer: 0 } },
    }),
    async *results(): AsyncGenerator<ResultItem> {
      for (let cursor = 1; cursor <= n; cursor++) {
        const line = { cursor, workUnit: `wu_${cursor}`, output: 'AAAA' };
        yield { type: 'result', line, text: JSON.stringify(line) } as unknown as ResultItem;
      }
    },
  } as unknown as Researcher;
}

function io() {
  const streams = { stdout: '', stderr: '' };
  return {
    streams,
    io: {
      env: {},
      cwd: '/',
      stdin: new PassThrough(),
      stdout: { write: (t: string) => (streams.stdout += t) },
      stderr: { write: (t: string) => (streams.stderr += t) },
    },
  };
}

describe('results --out on a full disk', () => {
  it.skipIf(!existsSync('/dev/full'))('says what was saved and how to resume, and exits with its code', async () => {
    const { io: cli, streams } = io();
    const exit = await results(new Output(cli, false), client(3), JOB, '/dev/full');
    expect(exit).toBe(EXIT.invalidInput);
    expect(streams.stderr).toContain('cannot write /dev/full: ENOSPC');
    expect(streams.stderr).toContain('0 results were saved to /dev/full (up to cursor 0)');
    expect(streams.stderr).toContain('run the same command again');
  });
});
