// A job from disk: a folder holding job.json and the files it names (or the one .wgsl, its .wasm twin, or
// the one .onnx), or a manifest file whose folder holds them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { failure, type ClientResult } from '../errors';
import { jsonSyntaxError } from '../json-error';
import { type JobAssets, jobFromManifest, MANIFEST_FILE } from '../manifest';

export async function readJob(path: string): Promise<ClientResult<JobAssets & { readonly manifest: string }>> {
  let folder: string;
  let manifestPath: string;
  try {
    const isDir = statSync(path).isDirectory();
    folder = isDir ? path : dirname(path);
    manifestPath = isDir ? join(path, MANIFEST_FILE) : path;
  } catch {
    return failure({ code: 'invalid_input', message: `${path}: no such file or folder` });
  }
  let text: string;
  try {
    // A byte-order mark (as some Windows editors write) is not JSON, but no one means it as content.
    text = readFileSync(manifestPath, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return failure({
      code: 'invalid_input',
      message: missing
        ? `${manifestPath}: missing (a job folder holds a ${MANIFEST_FILE} manifest)`
        : `${manifestPath}: cannot be read (${(e as Error).message})`,
    });
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    const at = jsonSyntaxError(text, e);
    return failure({
      code: 'invalid_input',
      message: `${manifestPath}:${at.line}:${at.column}: not JSON (${at.reason})`,
    });
  }
  // Kernels, twins, models and constants: the regular files beside the manifest, read when the manifest names them
  // (and only then: a file too big to upload is named as such, unread).
  const sizes = new Map<string, number>();
  for (const name of readdirSync(folder)) {
    if (name === basename(manifestPath)) continue;
    // A link to nothing is no file of the job's.
    const stat = statSync(join(folder, name), { throwIfNoEntry: false });
    if (stat?.isFile()) sizes.set(name, stat.size);
  }
  const job = await jobFromManifest(manifest, {
    names: [...sizes.keys()],
    read: async (name) => new Uint8Array(await readFile(join(folder, name))),
    size: (name) => sizes.get(name),
  });
  return job.ok ? { ok: true, value: { ...job.value, manifest: manifestPath } } : job;
}
