// `bricolage wus add JOB FILE|DIR|-`: every unit is checked against the job before the first batch is sent;
// then batches go up with Idempotency-Keys, and each committed batch is recorded under the config dir, so
// that after a cut the same command resumes where the upload stopped (adding nothing twice).
import { resolve } from 'node:path';
import { DEFAULT_BATCH_BYTES, newUploadId, uploadWorkUnits, workUnitProblem } from '@bricolage/client';
import {
  clearUploadState,
  configDir,
  readUploadState,
  spoolStdin,
  type UploadState,
  uploadStatePath,
  type WorkUnitSource,
  workUnitSource,
  writeUploadState,
} from '@bricolage/client/node';
import { ioSizes, type JobId } from '@bricolage/protocol';
import { explain, type Researcher } from '../connection';
import type { ExitCode } from '../exit';
import type { Output } from '../io';
import { progress } from '../progress';

export const DEFAULT_BATCH = 1000;

export interface WusFlags {
  readonly batch?: number | undefined;
  readonly restart?: boolean | undefined;
}

export async function wusAdd(
  out: Output,
  client: Researcher,
  job: JobId,
  path: string,
  flags: WusFlags,
): Promise<ExitCode> {
  const io = out.io;
  const call = io.signal ? { signal: io.signal } : {};
  const shown = await client.getJob(job, call);
  if (!shown.ok) return out.fail(shown.error, explain(shown.error, client));
  const { spec } = shown.value.job.definition;
  const sizes = ioSizes(spec);

  let spooled: { remove(): void } | null = null;
  let source: WorkUnitSource;
  if (path === '-') {
    const stdin = await spoolStdin(io.stdin);
    spooled = stdin;
    source = stdin.source;
  } else {
    const opened = workUnitSource(resolve(io.cwd, path));
    if (!opened.ok) return out.fail(opened.error);
    source = { ...opened.value, label: path };
  }
  try {
    // Every unit first: a bad one found after some batches were committed would leave half an upload.
    let units = 0;
    for await (const { text, where, at, problem: unreadable } of source.lines()) {
      const problem = unreadable ? { message: unreadable, column: undefined } : workUnitProblem(text, sizes, spec);
      if (problem) {
        const place = at && problem.column !== undefined ? `${at.file}:${at.line}:${problem.column}` : where;
        return out.fail({ code: 'invalid_input', message: `${place}: ${problem.message}` }, 'Nothing was uploaded.');
      }
      units++;
    }
    if (units === 0) return out.fail({ code: 'invalid_input', message: `${source.label} holds no work units` });

    const statePath = uploadStatePath(configDir(io.env), job, source.key);
    if (flags.restart) clearUploadState(statePath);
    const earlier = readUploadState(statePath);
    const state: UploadState = earlier ?? {
      job,
      source: source.key,
      uploadId: newUploadId(),
      batchUnits: flags.batch ?? DEFAULT_BATCH,
      batchBytes: DEFAULT_BATCH_BYTES,
      committed: [],
      units: 0,
    };
    if (earlier)
      out.note(`resuming upload ${earlier.uploadId}: ${earlier.units} of ${units} units were committed before`);
    writeUploadState(statePath, state);

    const bar = progress(out, 'uploading');
    let replayed = 0;
    const outcome = await uploadWorkUnits(client, job, mapLines(source), {
      ...call,
      uploadId: state.uploadId,
      batchUnits: state.batchUnits,
      batchBytes: state.batchBytes,
      committed: state.committed,
      onBatch: (batch) => {
        if (batch.replayed) replayed++;
        state.committed.push(batch.hash);
        state.units += batch.units;
        writeUploadState(statePath, state);
      },
      onProgress: (p) => bar.update(p.units, units, `units, ${p.batches} batches, ${mib(p.bytes)}`),
    });
    bar.stop();
    if (!outcome.ok) {
      const p = outcome.progress;
      const where = `${p.units} of ${units} units are committed (${p.batches} batches)`;
      const hint =
        outcome.error.code === 'network' || outcome.error.code === 'timeout' || outcome.error.code === 'aborted'
          ? `The upload was cut: ${where}. Run the same command again to resume; nothing is added twice.`
          : outcome.error.code === 'invalid_input'
            ? `Run with --restart to upload this input as a new upload (the ${state.units} units already added stay).`
            : `${explain(outcome.error, client) ?? ''} ${where}; the refused batch added nothing.`.trim();
      return out.fail(outcome.error, hint);
    }
    clearUploadState(statePath);
    const p = outcome.value;
    const added = p.units - p.resumedUnits;
    return out.done(
      {
        job,
        units: p.units,
        added,
        resumed: p.resumedUnits,
        batches: p.batches,
        replayedBatches: replayed,
        uploadId: state.uploadId,
      },
      [
        `${job}: ${p.units} work ${p.units === 1 ? 'unit' : 'units'} uploaded in ${p.batches} ${p.batches === 1 ? 'batch' : 'batches'}` +
          (p.resumedUnits > 0 ? ` (${p.resumedUnits} committed before this run)` : ''),
        `next: bricolage watch ${job}`,
      ],
    );
  } finally {
    spooled?.remove();
  }
}

async function* mapLines(source: WorkUnitSource): AsyncGenerator<string> {
  for await (const { text } of source.lines()) yield text;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MiB`;
