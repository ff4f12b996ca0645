// Work units in batches that resume: each batch is one all-or-nothing POST carrying an Idempotency-Key
// (`<uploadId>.<batch>`), so a batch whose reply was lost is committed once however often it is resent;
// and the caller keeps the SHA-256 of each committed batch, so an upload cut in the middle starts again
// after the last committed batch, having checked that the input up to there is the same.
import { type JobId, sha256Hex, utf8 } from '@bricolage/protocol';
import type { BricolageClient, CallOptions } from './client';
import type { ClientError } from './errors';

export interface UploadProgress {
  /** Units committed so far, by this run or by the run it resumes. */
  readonly units: number;
  readonly bytes: number;
  readonly batches: number;
  /** Of those, the units an earlier run had committed (skipped, not sent again). */
  readonly resumedUnits: number;
}

export interface CommittedBatch {
  readonly index: number;
  /** SHA-256 of the batch's NDJSON body: what a resumed upload checks its input against. */
  readonly hash: string;
  readonly units: number;
  readonly bytes: number;
  readonly added: number;
  readonly knownAnswer: number;
  /** The coordinator had committed it already (its reply had been lost): nothing was added twice. */
  readonly replayed: boolean;
}

export interface UploadOptions extends CallOptions {
  /** Names the upload: batch i is sent with `Idempotency-Key: <uploadId>.<i>`. Keep it to resume. */
  readonly uploadId: string;
  /** A batch closes at this many units … */
  readonly batchUnits?: number;
  /** … or before it would pass this many bytes (a single larger line is a batch of its own). */
  readonly batchBytes?: number;
  /** The hashes of the batches an earlier run committed, in order: those are checked and skipped. */
  readonly committed?: readonly string[];
  /** After each committed batch, before the next is sent: the place to persist `hash` for a resume. */
  readonly onBatch?: (batch: CommittedBatch) => void | Promise<void>;
  readonly onProgress?: (progress: UploadProgress) => void;
}

export type UploadOutcome =
  | { readonly ok: true; readonly value: UploadProgress }
  /** `progress` is what was committed before the failure: a run with the same input and state resumes there. */
  | { readonly ok: false; readonly error: ClientError; readonly progress: UploadProgress };

export const DEFAULT_BATCH_UNITS = 1000;
export const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;

/** A fresh upload id: 16 random hex digits. */
export function newUploadId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Groups NDJSON lines (without their newline) into batch bodies of at most `units` lines and about `bytes` bytes. */
export async function* batches(
  lines: Iterable<string> | AsyncIterable<string>,
  units: number,
  bytes: number,
): AsyncGenerator<{ body: string; units: number; bytes: number }> {
  let body = '';
  let count = 0;
  let size = 0;
  for await (const line of lines) {
    const lineBytes = utf8(line).length + 1;
    if (count > 0 && (count >= units || size + lineBytes > bytes)) {
      yield { body, units: count, bytes: size };
      body = '';
      count = 0;
      size = 0;
    }
    body += `${line}\n`;
    count++;
    size += lineBytes;
  }
  if (count > 0) yield { body, units: count, bytes: size };
}

export async function uploadWorkUnits(
  client: BricolageClient,
  job: JobId,
  lines: Iterable<string> | AsyncIterable<string>,
  options: UploadOptions,
): Promise<UploadOutcome> {
  const committed = options.committed ?? [];
  let progress: UploadProgress = { units: 0, bytes: 0, batches: 0, resumedUnits: 0 };
  let index = 0;
  for await (const batch of batches(
    lines,
    options.batchUnits ?? DEFAULT_BATCH_UNITS,
    options.batchBytes ?? DEFAULT_BATCH_BYTES,
  )) {
    const hash = await sha256Hex(utf8(batch.body));
    const done = { units: progress.units + batch.units, bytes: progress.bytes + batch.bytes, batches: index + 1 };
    if (index < committed.length) {
      if (committed[index] !== hash)
        return {
          ok: false,
          error: {
            code: 'invalid_input',
            message: `the input differs from the interrupted upload ${options.uploadId} at batch ${index + 1} (its units ${progress.units + 1}–${done.units}): resuming it would add other units than the ones it stopped in`,
          },
          progress,
        };
      progress = { ...done, resumedUnits: progress.resumedUnits + batch.units };
    } else {
      const added = await client.addWorkUnits(job, batch.body, {
        idempotencyKey: `${options.uploadId}.${index}`,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!added.ok) {
        // The server numbers lines within the batch; the caller knows only the whole input.
        const error =
          added.error.index === undefined
            ? added.error
            : {
                ...added.error,
                index: progress.units + added.error.index,
                message: added.error.message.replace(
                  /^line (\d+):/,
                  (_, n: string) => `line ${progress.units + Number(n)}:`,
                ),
              };
        return { ok: false, error, progress };
      }
      await options.onBatch?.({
        index,
        hash,
        units: batch.units,
        bytes: batch.bytes,
        added: added.value.added,
        knownAnswer: added.value.knownAnswer,
        replayed: added.value.replayed,
      });
      progress = { ...done, resumedUnits: progress.resumedUnits };
    }
    options.onProgress?.(progress);
    index++;
  }
  if (index < committed.length)
    return {
      ok: false,
      error: {
        code: 'invalid_input',
        message: `the input is shorter than the interrupted upload ${options.uploadId}, which had committed ${committed.length} batches`,
      },
      progress,
    };
  return { ok: true, value: progress };
}
