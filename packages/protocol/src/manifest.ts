// @bricolage/protocol/manifest: a job manifest (`job.json`), the job a researcher asks for with its assets
// named by file rather than by hash, so that a folder of files (a .wgsl with its optional .wasm twin, or an
// .onnx model, constant data, and job.json) is a job. The dashboard and the CLI both turn one into a
// CreateJobRequest here. A subpath of its own: its schemas would otherwise ride along in the volunteer page.
import { z } from 'zod';
import { sha256Hex } from './canonical';
import { type Failure, fail, ok, type Result } from './errors';
import { CreateJobRequest, OnnxSpec, WgslBinding, WgslSpec } from './job';

/** An asset: a file name (matched against the files given with the manifest) or the SHA-256 of a stored blob. */
const AssetRef = z.string().trim().min(1).max(500);

const ManifestBinding = z.object({
  ...WgslBinding.shape,
  /** Role `constant` only: the file holding the binding's bytes (or `blob`, the hash of one already stored). */
  file: AssetRef.optional(),
  blob: AssetRef.optional(),
});

// Built from the specs' shapes (their refinements run on the resolved request, in resolveManifest).
const WgslManifestSpec = z.object({
  ...WgslSpec.shape,
  /** Default: the one `.wgsl` file given. */
  shader: AssetRef.optional(),
  bindings: z.array(ManifestBinding).min(1).max(16),
  /**
   * The WebAssembly twin. Default: the `.wasm` file with the shader's base name, else the only `.wasm` file
   * given, else none; `false` says there is none even when a `.wasm` file is given.
   */
  wasm: z
    .union([z.literal(false), z.object({ module: AssetRef.optional(), export: z.string().min(1).max(64).optional() })])
    .optional(),
});

const OnnxManifestSpec = z.object({
  ...OnnxSpec.shape,
  /** Default: the one `.onnx` file given. */
  model: AssetRef.optional(),
});

export const JobManifest = z.object({
  ...CreateJobRequest.shape,
  spec: z.discriminatedUnion('kind', [WgslManifestSpec, OnnxManifestSpec]),
});
export type JobManifest = z.input<typeof JobManifest>;

/** A file given with a manifest; `name` may carry folders (`squares/job.json`): assets match by base name. */
export interface ManifestFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** An asset the job refers to, with the file it came from (null for a blob named by hash, already stored). */
export interface ResolvedAsset {
  readonly hash: string;
  readonly file: ManifestFile | null;
  /** Where the manifest uses it, e.g. `spec.shader`. */
  readonly role: string;
}

export interface ResolvedJob {
  readonly request: CreateJobRequest;
  readonly assets: readonly ResolvedAsset[];
}

const HASH = /^[0-9a-f]{64}$/;
const baseName = (name: string) => name.slice(name.lastIndexOf('/') + 1);
const stem = (name: string) => baseName(name).replace(/\.[^.]*$/, '');
const withExt = (files: readonly ManifestFile[], ext: string) => files.filter((f) => f.name.endsWith(ext));

/** Zod issues as one line a person can act on: `spec.bindings.1.type: Invalid option…; …`. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = i.path.join('.');
      return `${prefix}${path}${path ? ': ' : ''}${i.message}`;
    })
    .join('; ');
}

/**
 * Turns a parsed `job.json` and the files given with it into the request that creates the job and the assets
 * to upload first. Everything it can check without the coordinator it checks here: the manifest's shape,
 * that every named file is there, that constants have their declared sizes, and the resulting request.
 */
export async function resolveManifest(manifest: unknown, files: readonly ManifestFile[]): Promise<Result<ResolvedJob>> {
  const parsed = JobManifest.safeParse(manifest);
  if (!parsed.success) return fail('bad_request', `job manifest: ${describeIssues(parsed.error)}`);
  const m = parsed.data;
  const assets: ResolvedAsset[] = [];
  const problem = (message: string): { ok: false; error: Failure } => fail('bad_request', `job manifest: ${message}`);

  const resolve = async (role: string, ref: string): Promise<Result<string>> => {
    if (HASH.test(ref)) {
      assets.push({ hash: ref, file: null, role });
      return ok(ref);
    }
    const file = files.find((f) => f.name === ref) ?? files.find((f) => baseName(f.name) === baseName(ref));
    if (!file) return problem(`${role} names the file ${ref}, which was not given`);
    const hash = await sha256Hex(file.bytes);
    assets.push({ hash, file, role });
    return ok(hash);
  };
  const only = (role: string, ext: string): Result<string> => {
    const found = withExt(files, ext);
    if (found.length === 1) return ok((found[0] as ManifestFile).name);
    return problem(
      found.length === 0
        ? `${role}: no ${ext} file was given`
        : `${role}: ${found.length} ${ext} files were given (${found.map((f) => baseName(f.name)).join(', ')}); name one in the manifest`,
    );
  };

  let spec: unknown;
  if (m.spec.kind === 'onnx') {
    const ref = m.spec.model ?? only('spec.model', '.onnx');
    if (typeof ref !== 'string' && !ref.ok) return ref;
    const model = await resolve('spec.model', typeof ref === 'string' ? ref : ref.value);
    if (!model.ok) return model;
    spec = { ...m.spec, model: model.value };
  } else {
    const ref = m.spec.shader ?? only('spec.shader', '.wgsl');
    if (typeof ref !== 'string' && !ref.ok) return ref;
    const shaderName = typeof ref === 'string' ? ref : ref.value;
    const shader = await resolve('spec.shader', shaderName);
    if (!shader.ok) return shader;

    const bindings = [];
    for (const [i, b] of m.spec.bindings.entries()) {
      const { file, blob, ...rest } = b;
      if (b.role !== 'constant') {
        if (file !== undefined || blob !== undefined)
          return problem(`spec.bindings.${i}: only a constant binding has a file; ${b.name} is ${b.role}`);
        bindings.push(rest);
        continue;
      }
      const source = file ?? blob;
      if (source === undefined)
        return problem(`spec.bindings.${i}: constant binding ${b.name} needs a file (its ${b.size} bytes)`);
      const hash = await resolve(`spec.bindings.${i}`, source);
      if (!hash.ok) return hash;
      const given = assets.at(-1)?.file;
      if (given && given.bytes.length !== b.size)
        return problem(
          `spec.bindings.${i}: constant binding ${b.name} declares ${b.size} bytes, but ${baseName(given.name)} has ${given.bytes.length}`,
        );
      bindings.push({ ...rest, blob: hash.value });
    }

    let wasm: { module: string; export: string } | undefined;
    if (m.spec.wasm !== false) {
      const twins = withExt(files, '.wasm');
      const named =
        m.spec.wasm?.module ??
        (twins.find((f) => stem(f.name) === stem(shaderName)) ?? (twins.length === 1 ? twins[0] : undefined))?.name;
      if (named !== undefined) {
        const module = await resolve('spec.wasm.module', named);
        if (!module.ok) return module;
        wasm = { module: module.value, export: m.spec.wasm?.export ?? 'run' };
      }
    }
    const { wasm: _named, ...rest } = m.spec;
    spec = { ...rest, shader: shader.value, bindings, ...(wasm ? { wasm } : {}) };
  }

  const request = { ...m, spec };
  const checked = CreateJobRequest.safeParse(request);
  if (!checked.success) return problem(describeIssues(checked.error));
  return ok({ request: request as CreateJobRequest, assets: dedupe(assets) });
}

/** One upload per blob, however many roles it plays (a twin named twice, two constants with the same bytes). */
function dedupe(assets: readonly ResolvedAsset[]): ResolvedAsset[] {
  const seen = new Set<string>();
  return assets.filter((a) => !seen.has(a.hash) && seen.add(a.hash));
}
