// What a work-unit upload has committed so far, kept under the config dir until it completes, so that the
// same command run again after a cut resumes after the last committed batch (see ../upload.ts).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from './private-file';

export const UploadState = z.object({
  job: z.string(),
  /** The input as the user named it: a resolved path, or `-` for stdin. */
  source: z.string(),
  uploadId: z.string(),
  /** Batch sizes are part of the state: a resume must cut the input into the same batches. */
  batchUnits: z.number().int().positive(),
  batchBytes: z.number().int().positive(),
  /** SHA-256 of each committed batch's body, in order. */
  committed: z.array(z.string()),
  /** Units in those batches. */
  units: z.number().int().nonnegative(),
});
export type UploadState = z.infer<typeof UploadState>;

/** One file per job and input: `<config dir>/uploads/<job>/<sha256(source) prefix>.json`. */
export function uploadStatePath(dir: string, job: string, source: string): string {
  const key = createHash('sha256').update(source).digest('hex').slice(0, 24);
  return join(dir, 'uploads', job.replace(/[^A-Za-z0-9_-]/g, '_'), `${key}.json`);
}

/** The state of an unfinished upload of `source` to `job`, or null (none, or unreadable: then it starts over). */
export function readUploadState(path: string): UploadState | null {
  try {
    const parsed = UploadState.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return null;
    throw e;
  }
}

export function writeUploadState(path: string, state: UploadState): void {
  writePrivateFile(path, `${JSON.stringify(state)}\n`);
}

export function clearUploadState(path: string): void {
  rmSync(path, { force: true });
}
