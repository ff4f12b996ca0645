// The project's signing key as the coordinator publishes it, against this machine's key file: `project key` must
// not make a second key for a project that already signs its jobs (the coordinator would refuse every job signed
// with it), and a refused `job create` should say where the right key is rather than send the user back there.
import type { BricolageClient, CallOptions, ClientError, ClientResult } from '@bricolage/client';
import { projectKeyPath } from '@bricolage/client/node';
import { keyFingerprint, type ProjectId } from '@bricolage/protocol';

/** The key the project's jobs are signed with (its first signed job's), or null while it has none. */
export async function publishedKey(
  client: BricolageClient,
  project: ProjectId,
  call: CallOptions,
): Promise<ClientResult<string | null>> {
  const listed = await client.listProjects(call);
  if (!listed.ok) return listed;
  return { ok: true, value: listed.value.find((p) => p.id === project)?.signingKey ?? null };
}

/**
 * Why this machine cannot sign the project's jobs although the project has a key (`published`): its key file,
 * `path`, holding `local` (null: there is none), is missing or another key. Null when it can, or no key is
 * published yet.
 */
export function keyMismatch(
  project: ProjectId,
  path: string,
  local: string | null,
  published: string | null,
): { error: ClientError; hint: string } | null {
  if (published === null || local === published) return null;
  const theirs = keyFingerprint(published);
  const message =
    local === null
      ? `project ${project} already signs its jobs with the key ${theirs}, and its file is not on this machine (${path})`
      : `${path} holds the key ${keyFingerprint(local)}, but project ${project} signs its jobs with the key ${theirs}`;
  return {
    error: { code: 'invalid_input', message },
    hint: [
      `The file of ${theirs} is ${projectKeyPath('bricolage', project)} in the config folder ($XDG_CONFIG_HOME, else ~/.config) of the machine where \`bricolage project key\` made it, or a copy you kept of it: put it at ${path} (mode 0600).`,
      `A new key would not do: the coordinator refuses this project's jobs unless they are signed with ${theirs}.`,
      'Without that file, create another project for new jobs.',
    ].join(' '),
  };
}
