// Admission of a new job: what POST /v1/jobs checks beyond the schema, so that a job that cannot run
// is refused at the door with a clear message rather than failed by volunteers one by one.
import {
  API,
  type Failure,
  type JobSpec,
  constantBindings,
  fail,
  jobBlobs,
  ok,
  type Result,
} from '@bricolage/protocol';

/** Read access to stored blobs. */
export interface BlobReader {
  blobSize(hash: string): Promise<number | null>;
  getBlob(hash: string): Promise<Uint8Array | null>;
}

/** Every blob the job refers to is stored, and each constant blob has its binding's declared size. */
export async function checkBlobs(spec: JobSpec, blobs: BlobReader): Promise<Result<void>> {
  for (const hash of jobBlobs(spec))
    if ((await blobs.blobSize(hash)) === null)
      return fail('bad_request', `asset ${hash} has not been uploaded (PUT ${API.blob(hash)})`);
  if (spec.kind === 'wgsl')
    for (const b of constantBindings(spec)) {
      const size = (await blobs.blobSize(b.blob as string)) as number;
      if (size !== b.size)
        return fail(
          'bad_request',
          `spec.bindings: constant binding ${b.binding} (${b.name}) declares ${b.size} bytes, but its blob ${b.blob} has ${size}`,
        );
    }
  return ok(undefined);
}

/** The first reason the job cannot be admitted, or null. */
export async function admitJob(spec: JobSpec, blobs: BlobReader): Promise<Failure | null> {
  const checked = await checkBlobs(spec, blobs);
  return checked.ok ? null : checked.error;
}
