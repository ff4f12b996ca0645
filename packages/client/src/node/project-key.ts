// A project's signing key, made and kept by the researcher: `$config/project-keys/<project>.json`, mode 0600
// in the 0700 config folder, beside the login. The private half never leaves this file; the coordinator
// only ever sees signatures and the public half, which it publishes so that volunteers can check jobs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exportPrivateKey,
  generateSigningKeyPair,
  importPrivateKey,
  type JobSignature,
  publicKeyOf,
  type SignedJobContent,
  signJob,
} from '@bricolage/protocol';
import { z } from 'zod';
import { type ClientResult, failure, success } from '../errors';
import { writePrivateFile } from './private-file';

const KeyFile = z.object({ project: z.string(), publicKey: z.string(), privateKey: z.string() });

export interface ProjectKey {
  readonly project: string;
  readonly publicKey: string;
  sign(job: Omit<SignedJobContent, 'project'>): Promise<JobSignature>;
}

export const projectKeyPath = (dir: string, project: string): string =>
  join(dir, 'project-keys', `${project.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);

/** The project's key from its file; null when there is none; an error when the file cannot be used. */
export async function readProjectKey(dir: string, project: string): Promise<ClientResult<ProjectKey | null>> {
  const path = projectKeyPath(dir, project);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return success(null);
    return failure({ code: 'invalid_input', message: `cannot read ${path}: ${(e as Error).message}` });
  }
  let parsed: z.infer<typeof KeyFile>;
  try {
    parsed = KeyFile.parse(JSON.parse(text));
    // A file whose halves do not belong together would sign jobs no volunteer accepts: refuse it here.
    if ((await publicKeyOf(parsed.privateKey)) !== parsed.publicKey || parsed.project !== project) throw new Error();
  } catch {
    return failure({ code: 'invalid_input', message: `${path} is not this project's signing key` });
  }
  const privateKey = await importPrivateKey(parsed.privateKey);
  return success({
    project,
    publicKey: parsed.publicKey,
    sign: (job) => signJob(privateKey, parsed.publicKey, { ...job, project }),
  });
}

/** The project's key, made (and written, 0600) when it has none yet. */
export async function ensureProjectKey(
  dir: string,
  project: string,
): Promise<ClientResult<{ readonly key: ProjectKey; readonly created: boolean }>> {
  const existing = await readProjectKey(dir, project);
  if (!existing.ok) return existing;
  if (existing.value) return success({ key: existing.value, created: false });
  const pair = await generateSigningKeyPair(true);
  const file = { project, publicKey: pair.publicKeyText, privateKey: await exportPrivateKey(pair.privateKey) };
  writePrivateFile(projectKeyPath(dir, project), `${JSON.stringify(file, null, 2)}\n`);
  const made = await readProjectKey(dir, project);
  if (!made.ok) return made;
  return success({ key: made.value as ProjectKey, created: true });
}
