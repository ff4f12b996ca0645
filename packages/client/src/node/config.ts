// The CLI's login: which coordinator, and the project token, in `$XDG_CONFIG_HOME/bricolage/config.json`
// (else `~/.config/bricolage`), mode 0600 in a 0700 folder: the token is the project's only credential.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { failure, type ClientResult, success } from '../errors';
import { writePrivateFile } from './private-file';

export const Config = z.object({
  url: z.string().url(),
  token: z.string().min(1),
  /** The project the token is for, as the coordinator named it at login. */
  project: z.object({ id: z.string(), name: z.string() }).optional(),
  /**
   * The key backup (absolute path) that `bricolage project open` logged in with: its token is replaced when the
   * volunteer opens the project on the page, and opening it again here is how to get the new one.
   */
  keyBackup: z.string().optional(),
});
export type Config = z.infer<typeof Config>;

type Env = Readonly<Record<string, string | undefined>>;

export function configDir(env: Env = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg?.startsWith('/') ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'bricolage');
}

export const configPath = (dir: string): string => join(dir, 'config.json');

/** The stored login, null when there is none, or why the file cannot be used. */
export function readConfig(dir: string): ClientResult<Config | null> {
  let text: string;
  try {
    text = readFileSync(configPath(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return success(null);
    return failure({ code: 'invalid_input', message: `cannot read ${configPath(dir)}: ${(e as Error).message}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return failure({ code: 'invalid_input', message: `${configPath(dir)} is not JSON: log in again` });
  }
  const parsed = Config.safeParse(json);
  return parsed.success
    ? success(parsed.data)
    : failure({ code: 'invalid_input', message: `${configPath(dir)} is not a bricolage login: log in again` });
}

export function writeConfig(dir: string, config: Config): void {
  writePrivateFile(configPath(dir), `${JSON.stringify(config, null, 2)}\n`);
}
