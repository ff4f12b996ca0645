// Admission of a new job: what POST /v1/jobs checks beyond the schema, so that a job that cannot run
// is refused at the door with a clear message rather than failed by volunteers one by one.
import {
  API,
  constantBindings,
  type Failure,
  fail,
  type JobSpec,
  jobBlobs,
  ok,
  type OnnxSpec,
  type Result,
  wasmAbiProblem,
  wasmAbiShape,
  type WgslSpec,
} from '@bricolage/protocol';
import { onnxModelProblem } from './onnx';
import { MAX_WGSL_BYTES, wgslProblem } from './wgsl';

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

/** The WGSL source parses and matches the spec (see wgsl.ts). */
export async function checkShader(spec: WgslSpec, blobs: BlobReader): Promise<Result<void>> {
  const size = (await blobs.blobSize(spec.shader)) as number;
  if (size > MAX_WGSL_BYTES)
    return fail('bad_request', `spec.shader: the WGSL source is ${size} bytes; at most ${MAX_WGSL_BYTES} are accepted`);
  let source: string;
  try {
    source = new TextDecoder('utf-8', { fatal: true }).decode((await blobs.getBlob(spec.shader)) as Uint8Array);
  } catch {
    return fail('bad_request', `spec.shader: blob ${spec.shader} is not UTF-8 text, so not WGSL`);
  }
  const problem = wgslProblem(source, spec);
  return problem ? fail('bad_request', `spec.shader: ${problem}`) : ok(undefined);
}

/** The wasm twin compiles, imports nothing and exports the ABI the job needs, const_ptr included (docs/WASM_ABI.md). */
export async function checkTwin(spec: WgslSpec, blobs: BlobReader): Promise<Result<void>> {
  if (!spec.wasm) return ok(undefined);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile((await blobs.getBlob(spec.wasm.module)) as Uint8Array<ArrayBuffer>);
  } catch (e) {
    return fail('bad_request', `spec.wasm.module: not a valid WebAssembly module: ${(e as Error).message}`);
  }
  const problem = wasmAbiProblem(module, wasmAbiShape(spec));
  return problem ? fail('bad_request', `spec.wasm.module: ${problem}`) : ok(undefined);
}

/** The model is an ONNX model whose graph has the inputs and outputs the spec names. */
export async function checkModel(spec: OnnxSpec, blobs: BlobReader): Promise<Result<void>> {
  const model = await blobs.getBlob(spec.model);
  const problem = model ? onnxModelProblem(spec, model) : null;
  return problem ? { ok: false, error: problem } : ok(undefined);
}

/** The first reason the job cannot be admitted, or null. */
export async function admitJob(spec: JobSpec, blobs: BlobReader): Promise<Failure | null> {
  const checks = [() => checkBlobs(spec, blobs)];
  if (spec.kind === 'wgsl')
    checks.push(
      () => checkShader(spec, blobs),
      () => checkTwin(spec, blobs),
    );
  else checks.push(() => checkModel(spec, blobs));
  for (const check of checks) {
    const checked = await check();
    if (!checked.ok) return checked.error;
  }
  return null;
}
