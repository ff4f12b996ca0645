// `bricolage project create NAME`: over HTTP against the running coordinator, with its operator token, so
// the project is made in the database that coordinator serves and nowhere else.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient, mayHaveBeenDone } from '@bricolage/client';
import {
  configDir,
  configPath,
  ensureProjectKey,
  projectKeyPath,
  readProjectKey,
  writeConfig,
} from '@bricolage/client/node';
import { keyFingerprint } from '@bricolage/protocol';
import {
  type ConnectionFlags,
  coordinatorUrl,
  envVar,
  explain,
  login,
  type Researcher,
  timing,
  urlProblem,
} from '../connection';
import type { ExitCode } from '../exit';
import type { Output } from '../io';
import { keyMismatch, publishedKey } from '../published-key';

export interface ProjectFlags extends ConnectionFlags {
  readonly 'operator-token'?: string | undefined;
  readonly 'data-dir'?: string | undefined;
  readonly description?: string | undefined;
  readonly owner?: string | undefined;
  readonly login?: boolean | undefined;
}

/** --operator-token, BRICOLAGE_OPERATOR_TOKEN, or the operator-token file of --data-dir / DATA_DIR / ./data. */
function operatorToken(out: Output, flags: ProjectFlags): { token: string; from: string } | { missing: string } {
  const io = out.io;
  if (flags['operator-token']) return { token: flags['operator-token'], from: '--operator-token' };
  const fromEnv = envVar(io, 'BRICOLAGE_OPERATOR_TOKEN');
  if (fromEnv) return { token: fromEnv, from: 'BRICOLAGE_OPERATOR_TOKEN' };
  const file = join(resolve(io.cwd, flags['data-dir'] ?? envVar(io, 'DATA_DIR') ?? 'data'), 'operator-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { token, from: file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { missing: `${file}: ${(e as Error).message}` };
  }
  return { missing: file };
}

export async function projectCreate(out: Output, name: string, flags: ProjectFlags): Promise<ExitCode> {
  const io = out.io;
  const config = login(io);
  if (!config.ok) return out.fail(config.error);
  const url = coordinatorUrl(io, flags, config.value);
  const bad = urlProblem(url);
  if (bad) return out.fail({ code: 'invalid_input', message: bad });
  const operator = operatorToken(out, flags);
  if ('missing' in operator)
    return out.fail(
      { code: 'unauthorized', message: `no operator token: ${operator.missing} not found` },
      "Pass --data-dir with the coordinator's data directory, --operator-token, or set BRICOLAGE_OPERATOR_TOKEN (`npm run coordinator -- operator-token` prints it). Nothing was created.",
    );
  const client = createClient({ url, ...timing(flags) });
  const created = await client.createProject(
    { name, description: flags.description ?? '', owner: flags.owner ?? '' },
    operator.token,
    io.signal ? { signal: io.signal } : {},
  );
  if (!created.ok) {
    const hint =
      created.error.code === 'unauthorized'
        ? `The coordinator at ${client.url} refused the operator token from ${operator.from}: it runs with another data directory, or the token was rotated. Nothing was created.`
        : created.error.code === 'network' && created.error.unsent
          ? `Is the coordinator running at ${client.url}? (--url or BRICOLAGE_URL.) Nothing was created.`
          : mayHaveBeenDone(created.error)
            ? `${explain(created.error, { url: client.url, refusedToken: '' })} If it created the project, its token never reached you: that project stays unused.`
            : undefined;
    return out.fail(created.error, hint);
  }
  const { project, token } = created.value;
  const lines = [`project ${project.id} created (${project.name})`, `token   ${token}`];
  if (flags.login) {
    writeConfig(configDir(io.env), { url: client.url, token, project: { id: project.id, name: project.name } });
    lines.push(`logged in to ${client.url} as this project (${configPath(configDir(io.env))})`);
  } else lines.push(`Keep the token: it is shown once. Log in with: bricolage login ${client.url} --token ${token}`);
  return out.done({ project, token, loggedIn: flags.login === true }, lines);
}

/**
 * `bricolage project key`: the project's Ed25519 signing key, made on first use and kept beside the login
 * (mode 0600). `job create` signs every job with it; the coordinator publishes its public half with the project
 * once the first signed job exists, and from then on refuses jobs not signed by it: so once it publishes one,
 * no other is made here, and a key file that is not that one is refused.
 */
export async function projectKey(out: Output, client: Researcher): Promise<ExitCode> {
  const call = out.io.signal ? { signal: out.io.signal } : {};
  const project = await client.myProject(call);
  if (!project.ok) return out.fail(project.error, explain(project.error, client));
  const published = await publishedKey(client, project.value.id, call);
  if (!published.ok) return out.fail(published.error, explain(published.error, client));
  const dir = configDir(out.io.env);
  const path = projectKeyPath(dir, project.value.id);
  const local = await readProjectKey(dir, project.value.id);
  if (local.ok) {
    const mismatch = keyMismatch(project.value.id, path, local.value?.publicKey ?? null, published.value);
    if (mismatch) return out.fail(mismatch.error, `${mismatch.hint} No key was made.`);
  }
  const made = await ensureProjectKey(dir, project.value.id);
  if (!made.ok)
    return out.fail(
      made.error,
      published.value === null
        ? 'Move the file away to make a new key (jobs signed with the old one stay valid only with it).'
        : `Put the project's key file there instead (the one with the key ${keyFingerprint(published.value)}).`,
    );
  const { key, created } = made.value;
  return out.done({ project: project.value.id, publicKey: key.publicKey, file: path, created }, [
    `${created ? 'made' : 'using'} the signing key of project ${project.value.id} (${project.value.name})`,
    `public key  ${key.publicKey}`,
    `fingerprint ${keyFingerprint(key.publicKey)}   (volunteers' pages show this)`,
    `private key ${path} (mode 0600: keep it, back it up; it is the only way to sign this project's jobs)`,
  ]);
}
