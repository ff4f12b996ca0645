// A job manifest (job.json) and its files → the POST /v1/jobs request and the blobs it names. A manifest is
// a CreateJobRequest in which any blob hash may be a file name instead (relative to the manifest), and in
// which the kernel may be left out when the files hold exactly one `.wgsl` (with its `.wasm` twin, same
// name, when there is one) or one `.onnx` model. Everything here is checked before anything is sent.
import {
  type BlobHash,
  CreateJobRequest,
  constantBindings,
  sha256Hex,
  unknownFieldsProblem,
} from '@bricolage/protocol';
import { failure, type ClientResult, success } from './errors';

export const MANIFEST_FILE = 'job.json';
/** The most a job's file may hold: each is uploaded as one blob, and the coordinator takes blobs of up to 256 MiB. */
export const MAX_ASSET_BYTES = 256 * 1024 * 1024;

export interface JobAssets {
  readonly request: CreateJobRequest;
  /** Every file the request names, with its hash: uploaded before the job is created. */
  readonly files: readonly { readonly name: string; readonly hash: BlobHash; readonly bytes: Uint8Array }[];
}

/** The files beside a manifest: their names, and their bytes read on demand (a job folder may hold big inputs too). */
export interface JobFiles {
  readonly names: readonly string[];
  read(name: string): Promise<Uint8Array | null>;
  /** A file's size in bytes, when it is known before reading: one over MAX_ASSET_BYTES is refused unread. */
  size?(name: string): number | undefined;
}

const HASH = /^[0-9a-f]{64}$/;
const invalid = (message: string) => failure({ code: 'invalid_input', message });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The one file with this extension, or why there is not exactly one. */
function onlyFile(names: readonly string[], ext: string): { name: string } | { problem: string } {
  const found = names.filter((n) => n.toLowerCase().endsWith(ext));
  if (found.length === 1) return { name: found[0] as string };
  return {
    problem:
      found.length === 0
        ? `no ${ext} file`
        : `${found.length} ${ext} files (${found.join(', ')}): name the one to use in ${MANIFEST_FILE}`,
  };
}

/**
 * The job a manifest describes, its file names replaced by their hashes: `manifest` is the parsed job.json,
 * `files` the other files beside it. Problems are `invalid_input` failures naming the field or file.
 */
export async function jobFromManifest(manifest: unknown, files: JobFiles): Promise<ClientResult<JobAssets>> {
  if (!isObject(manifest)) return invalid(`${MANIFEST_FILE} must be a JSON object (the body of POST /v1/jobs)`);
  const names = files.names;
  const used = new Map<string, { hash: BlobHash; bytes: Uint8Array }>();
  /** A field's value as a hash: a hash stays (an asset uploaded before), a file name is read and hashed. */
  const asset = async (value: unknown, field: string): Promise<ClientResult<string>> => {
    if (typeof value !== 'string' || value === '') return invalid(`${MANIFEST_FILE}: ${field} must name a file`);
    if (HASH.test(value)) return success(value);
    const size = names.includes(value) ? files.size?.(value) : undefined;
    if (size !== undefined && size > MAX_ASSET_BYTES)
      return invalid(
        `${MANIFEST_FILE}: ${field} names ${value}, which is ${(size / 2 ** 20).toFixed(1)} MiB (${size} bytes): a job's files may be at most ${MAX_ASSET_BYTES / 2 ** 20} MiB each. Use a smaller file.`,
      );
    const bytes = names.includes(value) ? await files.read(value) : null;
    if (!bytes) return invalid(`${MANIFEST_FILE}: ${field} names ${value}, which is not there`);
    const hash = (await sha256Hex(bytes)) as BlobHash;
    used.set(value, { hash, bytes });
    return success(hash);
  };

  const spec: Record<string, unknown> = isObject(manifest.spec) ? { ...manifest.spec } : {};
  if (spec.kind === undefined) {
    const wgsl = names.some((n) => n.endsWith('.wgsl'));
    const onnx = names.some((n) => n.endsWith('.onnx'));
    if (wgsl === onnx)
      return invalid(
        `${MANIFEST_FILE}: spec.kind is missing, and the files hold ${wgsl ? 'both a .wgsl and an .onnx' : 'neither a .wgsl nor an .onnx'} file to tell it by`,
      );
    spec.kind = wgsl ? 'wgsl' : 'onnx';
  }

  if (spec.kind === 'wgsl') {
    if (spec.shader === undefined) {
      const only = onlyFile(names, '.wgsl');
      if ('problem' in only) return invalid(`${MANIFEST_FILE}: spec.shader is missing, and there is ${only.problem}`);
      spec.shader = only.name;
      // The twin is the .wasm with the kernel's name, when there is one: leave it out for a WGSL-only job.
      const twin = only.name.replace(/\.wgsl$/i, '.wasm');
      if (spec.wasm === undefined && names.includes(twin)) spec.wasm = { module: twin };
    }
    const shader = await asset(spec.shader, 'spec.shader');
    if (!shader.ok) return shader;
    spec.shader = shader.value;
    if (typeof spec.wasm === 'string') spec.wasm = { module: spec.wasm };
    if (isObject(spec.wasm)) {
      const module = await asset(spec.wasm.module, 'spec.wasm.module');
      if (!module.ok) return module;
      spec.wasm = { ...spec.wasm, module: module.value };
    }
    if (Array.isArray(spec.bindings)) {
      const bindings: unknown[] = [];
      for (const [i, b] of spec.bindings.entries()) {
        if (isObject(b) && b.blob !== undefined) {
          const blob = await asset(b.blob, `spec.bindings.${i}.blob`);
          if (!blob.ok) return blob;
          bindings.push({ ...b, blob: blob.value });
        } else bindings.push(b);
      }
      spec.bindings = bindings;
    }
  } else if (spec.kind === 'onnx') {
    if (spec.model === undefined) {
      const only = onlyFile(names, '.onnx');
      if ('problem' in only) return invalid(`${MANIFEST_FILE}: spec.model is missing, and there is ${only.problem}`);
      spec.model = only.name;
    }
    const model = await asset(spec.model, 'spec.model');
    if (!model.ok) return model;
    spec.model = model.value;
  }

  const written = { ...manifest, spec };
  const parsed = CreateJobRequest.safeParse(written);
  if (!parsed.success)
    return invalid(
      `${MANIFEST_FILE}: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.length ? i.path.join('.') : '(manifest)'}: ${i.message}`)
        .join('; ')}`,
    );
  const unknown = unknownFieldsProblem(written, parsed.data);
  if (unknown) return invalid(`${MANIFEST_FILE}: ${unknown}`);
  const request = parsed.data;
  if (request.spec.kind === 'wgsl')
    for (const b of constantBindings(request.spec)) {
      const file = [...used].find(([, f]) => f.hash === b.blob);
      if (file && file[1].bytes.length !== b.size)
        return invalid(
          `${MANIFEST_FILE}: spec.bindings: constant binding ${b.binding} (${b.name}) declares ${b.size} bytes, but ${file[0]} has ${file[1].bytes.length}`,
        );
    }
  return success({ request, files: [...used].map(([name, f]) => ({ name, ...f })) });
}
