// Making a job from files: find and read job.json, turn it and the files beside it into the request (the
// typed client's jobFromManifest, the same rules as `bricolage job create`), compile the WGSL in this
// browser, and only then upload the assets and create the job.
import { type JobAssets, jobFromManifest, jsonSyntaxError, MANIFEST_FILE } from '@bricolage/client';
import type { Job } from '@bricolage/protocol';
import type { WgslCheck } from '@bricolage/runtime/wgsl-check';
import type { ApiFailure, ApiResult, ResearcherApi } from './api';
import { baseName, type Picked } from './files';

export type Analysis =
  /** Nothing can be made of these files yet: the problem says what is missing or wrong. */
  | { readonly status: 'invalid'; readonly problem: string }
  /** A job request; `wgsl` is the check in this browser (null for an ONNX job or a shader named by hash). */
  | {
      readonly status: 'resolved';
      readonly manifest: string;
      readonly job: JobAssets;
      readonly shader: string | null;
      readonly wgsl: WgslCheck | null;
    };

/** Whether the analysis lets the job be created: resolved, and the WGSL (if checked) compiled and fits. */
export const creatable = (a: Analysis): boolean =>
  a.status === 'resolved' && (a.wgsl === null || a.wgsl.status === 'ok' || a.wgsl.status === 'unavailable');

const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);

function findManifest(files: readonly Picked[]): Picked | string {
  const named = files.filter((f) => baseName(f.path) === MANIFEST_FILE);
  if (named.length === 1) return named[0] as Picked;
  if (named.length > 1) return `${named.length} ${MANIFEST_FILE} files were given; give one job's folder at a time`;
  return `no job manifest: add a ${MANIFEST_FILE} (the job, with its assets named by file)`;
}

type Check = (
  source: string,
  spec: { entryPoint: string; bindings: { binding: number; type: 'uniform' | 'read' | 'read_write'; size: number }[] },
) => Promise<WgslCheck>;

export async function analyse(files: readonly Picked[], check: Check): Promise<Analysis> {
  const manifest = findManifest(files);
  if (typeof manifest === 'string') return { status: 'invalid', problem: manifest };
  let json: unknown;
  const text = await manifest.file.text();
  try {
    json = JSON.parse(text);
  } catch (e) {
    // Where, as an editor says it (the CLI names it file:line:column), not V8's character position.
    const at = jsonSyntaxError(text, e);
    return {
      status: 'invalid',
      problem: `${manifest.path} is not valid JSON: line ${at.line}, column ${at.column}: ${at.reason}`,
    };
  }
  // The files beside job.json, by their names relative to it, as the CLI sees a job's folder.
  const folder = folderOf(manifest.path);
  const beside = new Map(
    files
      .filter((f) => f !== manifest && f.path.startsWith(folder))
      .map((f) => [f.path.slice(folder.length), f.file] as const),
  );
  const job = await jobFromManifest(json, {
    names: [...beside.keys()],
    read: async (name) => {
      const file = beside.get(name);
      return file ? new Uint8Array(await file.arrayBuffer()) : null;
    },
    // A file too big to upload is named as such before it is read into the tab's memory.
    size: (name) => beside.get(name)?.size,
  });
  if (!job.ok) return { status: 'invalid', problem: job.error.message };
  const spec = job.value.request.spec;
  const shader = spec.kind === 'wgsl' ? job.value.files.find((f) => f.hash === spec.shader) : undefined;
  if (spec.kind !== 'wgsl' || !shader)
    return { status: 'resolved', manifest: manifest.path, job: job.value, shader: null, wgsl: null };
  const wgsl = await check(new TextDecoder().decode(shader.bytes), {
    entryPoint: spec.entryPoint,
    bindings: spec.bindings,
  });
  return { status: 'resolved', manifest: manifest.path, job: job.value, shader: shader.name, wgsl };
}

export interface CreateStep {
  readonly done: number;
  readonly of: number;
  readonly what: string;
}

/** Uploads the job's files (content-addressed: a blob already there is simply stored again), then creates it. */
export async function createFromFiles(
  api: ResearcherApi,
  job: JobAssets,
  onStep: (step: CreateStep) => void,
): Promise<ApiResult<Job>> {
  for (const [i, file] of job.files.entries()) {
    onStep({ done: i, of: job.files.length + 1, what: `uploading ${baseName(file.name)}` });
    const put = await api.putBlob(file.hash, file.bytes);
    if (!put.ok) return { ok: false, error: { ...put.error, message: `${baseName(file.name)}: ${put.error.message}` } };
  }
  onStep({ done: job.files.length, of: job.files.length + 1, what: 'creating the job' });
  return api.createJob(job.request);
}

/**
 * What to do after the coordinator refused a job. Mostly the files are at fault; a missing or wrong signature
 * is not theirs: this browser cannot sign, and the job has to be created where the project's key is.
 */
export function refusalAdvice(error: ApiFailure): string {
  if (error.code === 'bad_signature')
    return "Nothing was created. The files are not at fault: this project's jobs must be signed with its key, and this dashboard cannot sign. Create the job with bricolage job create, which signs it with the key bricolage project key keeps.";
  return 'Nothing was created. Fix the files and drop them again.';
}
