// Making a job from files: find and read the manifest, resolve it against the files (protocol's
// resolveManifest), compile the WGSL in this browser, and only then upload the assets and create the job.
import type { Job } from '@bricolage/protocol';
import { type ManifestFile, type ResolvedJob, resolveManifest } from '@bricolage/protocol/manifest';
import type { WgslCheck } from '@bricolage/runtime/wgsl-check';
import type { ApiResult, ResearcherApi } from './api';
import { baseName, type Picked } from './files';

export type Analysis =
  /** Nothing can be made of these files yet: the problem says what is missing or wrong. */
  | { readonly status: 'invalid'; readonly problem: string }
  /** A job request; `wgsl` is the check in this browser (null for an ONNX job or a shader named by hash). */
  | {
      readonly status: 'resolved';
      readonly manifest: string;
      readonly resolved: ResolvedJob;
      readonly shader: string | null;
      readonly wgsl: WgslCheck | null;
    };

/** Whether the analysis lets the job be created: resolved, and the WGSL (if checked) compiled and fits. */
export const creatable = (a: Analysis): boolean =>
  a.status === 'resolved' && (a.wgsl === null || a.wgsl.status === 'ok' || a.wgsl.status === 'unavailable');

function findManifest(files: readonly Picked[]): Picked | string {
  const named = files.filter((f) => baseName(f.path) === 'job.json');
  if (named.length === 1) return named[0] as Picked;
  if (named.length > 1) return `${named.length} job.json files were given; give one job's folder at a time`;
  const json = files.filter((f) => f.path.endsWith('.json'));
  if (json.length === 1) return json[0] as Picked;
  return json.length === 0
    ? 'no job manifest: add a job.json (the job, with its assets named by file)'
    : `${json.length} .json files and none named job.json: which is the manifest?`;
}

export async function analyse(
  files: readonly Picked[],
  check: (
    source: string,
    spec: {
      entryPoint: string;
      bindings: { binding: number; type: 'uniform' | 'read' | 'read_write'; size: number }[];
    },
  ) => Promise<WgslCheck>,
): Promise<Analysis> {
  const manifest = findManifest(files);
  if (typeof manifest === 'string') return { status: 'invalid', problem: manifest };
  let json: unknown;
  try {
    json = JSON.parse(await manifest.file.text());
  } catch (e) {
    return { status: 'invalid', problem: `${manifest.path} is not valid JSON: ${(e as Error).message}` };
  }
  // Inputs dropped along with the job (NDJSON, data files) are not assets: only what the manifest names is read.
  const assets: ManifestFile[] = await Promise.all(
    files
      .filter((f) => f !== manifest && !f.path.endsWith('.ndjson'))
      .map(async (f) => ({ name: f.path, bytes: new Uint8Array(await f.file.arrayBuffer()) })),
  );
  const resolved = await resolveManifest(json, assets);
  if (!resolved.ok)
    return { status: 'invalid', problem: `${manifest.path}: ${resolved.error.message.replace(/^job manifest: /, '')}` };
  const spec = resolved.value.request.spec;
  if (spec.kind !== 'wgsl')
    return { status: 'resolved', manifest: manifest.path, resolved: resolved.value, shader: null, wgsl: null };
  const shader = resolved.value.assets.find((a) => a.role === 'spec.shader')?.file ?? null;
  if (!shader)
    return { status: 'resolved', manifest: manifest.path, resolved: resolved.value, shader: null, wgsl: null };
  const source = new TextDecoder().decode(shader.bytes);
  const wgsl = await check(source, { entryPoint: spec.entryPoint, bindings: spec.bindings });
  return { status: 'resolved', manifest: manifest.path, resolved: resolved.value, shader: shader.name, wgsl };
}

export interface CreateStep {
  readonly done: number;
  readonly of: number;
  readonly what: string;
}

/** Uploads the job's assets (content-addressed: a blob already there is simply stored again), then creates it. */
export async function createFromFiles(
  api: ResearcherApi,
  resolved: ResolvedJob,
  onStep: (step: CreateStep) => void,
): Promise<ApiResult<Job>> {
  const uploads = resolved.assets.filter((a) => a.file !== null);
  for (const [i, asset] of uploads.entries()) {
    const file = asset.file as ManifestFile;
    onStep({ done: i, of: uploads.length + 1, what: `uploading ${baseName(file.name)}` });
    const put = await api.putBlob(asset.hash, file.bytes);
    if (!put.ok) return { ok: false, error: { ...put.error, message: `${baseName(file.name)}: ${put.error.message}` } };
  }
  onStep({ done: uploads.length, of: uploads.length + 1, what: 'creating the job' });
  return api.createJob(resolved.request);
}
