// `bricolage project open --key-backup FILE`: the volunteer key's personal project, whose jobs its credit pays
// for (issue 19). The key comes from the volunteer page's key backup (Your key → Back up), decrypted with
// BRICOLAGE_KEY_PASSPHRASE; the CLI signs in with it, opens (or reopens) the project and logs in to it, so that
// `job create`, `wus add`, `watch` and `results` work on it as on any project.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient } from '@bricolage/client';
import { configDir, configPath, writeConfig } from '@bricolage/client/node';
import { restoreKeyBackup } from '@bricolage/receipts';
import { type ConnectionFlags, coordinatorUrl, envVar, login, overloaded, timing, urlProblem } from '../connection';
import type { ExitCode } from '../exit';
import type { Output } from '../io';

export interface FundedProjectFlags extends ConnectionFlags {
  readonly 'key-backup'?: string | undefined;
  readonly name?: string | undefined;
}

export async function projectOpen(out: Output, flags: FundedProjectFlags): Promise<ExitCode> {
  const io = out.io;
  const file = flags['key-backup'];
  if (!file)
    return out.fail(
      { code: 'invalid_input', message: 'project open needs --key-backup FILE' },
      'Back up your key on the volunteer page (Your key → Back up) and pass that file.',
    );
  const passphrase = envVar(io, 'BRICOLAGE_KEY_PASSPHRASE');
  if (!passphrase)
    return out.fail(
      { code: 'invalid_input', message: 'BRICOLAGE_KEY_PASSPHRASE is not set' },
      'Set it to the passphrase the key backup was made with. Nothing was opened.',
    );
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    return out.fail({ code: 'invalid_input', message: `${file}: ${(e as Error).message}` });
  }
  const restored = await restoreKeyBackup(text, passphrase);
  if (!restored.ok) return out.fail({ code: 'invalid_input', message: `${file}: ${restored.error.message}` });
  const config = login(io);
  if (!config.ok) return out.fail(config.error);
  const url = coordinatorUrl(io, flags, config.value);
  const bad = urlProblem(url);
  if (bad) return out.fail({ code: 'invalid_input', message: bad });
  const client = createClient({ url, ...timing(flags) });
  const { identity } = restored.value;
  const opened = await client.openFundedProject(
    { publicKey: identity.publicKey, privateKey: identity.privateKey },
    { name: flags.name ?? 'My project' },
    io.signal ? { signal: io.signal } : {},
  );
  if (!opened.ok)
    return out.fail(
      opened.error,
      opened.error.code === 'network'
        ? `Is the coordinator running at ${client.url}? (--url or BRICOLAGE_URL.)`
        : opened.error.code === 'timeout'
          ? overloaded(client.url)
          : undefined,
    );
  const { project, token } = opened.value;
  // The key backup is kept so that a refused token (the project opened again on the page) says to run this again.
  writeConfig(configDir(io.env), {
    url: client.url,
    token,
    project: { id: project.id, name: project.name },
    keyBackup: resolve(io.cwd, file),
  });
  return out.done({ project, token, volunteer: identity.publicKey }, [
    `project ${project.id} (${project.name}) is paid from the credit of key ${identity.publicKey}`,
    `logged in to ${client.url} as this project (${configPath(configDir(io.env))})`,
  ]);
}
