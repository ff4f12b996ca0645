// Which coordinator and which token a command uses: the flags, then the environment, then the login.
import { type BricolageClient, type ClientError, type ClientResult, createClient } from '@bricolage/client';
import { type Config, configDir, readConfig } from '@bricolage/client/node';
import type { Io } from './io';

export const DEFAULT_URL = 'http://localhost:8787';

/** An environment variable, an empty one counting as unset (as `VAR= command` means). */
export const envVar = (io: Io, name: string): string | undefined => io.env[name] || undefined;

export interface ConnectionFlags {
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  /** --timeout, else BRICOLAGE_TIMEOUT, in ms (run.ts checks it); else the client's default. */
  readonly timeoutMs?: number | undefined;
}

/**
 * --timeout SECONDS, else BRICOLAGE_TIMEOUT: how long a quiet coordinator is waited for (0: as long as the network
 * allows), in ms; undefined when neither is given; a string saying what is wrong with one that is not a number.
 */
export function timeoutFlag(io: Io, flag: string | undefined): number | undefined | string {
  const text = flag ?? envVar(io, 'BRICOLAGE_TIMEOUT');
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0)
    return `--timeout takes seconds (0 or more; 0 waits as long as the network does), not ${text}${flag === undefined ? ' (BRICOLAGE_TIMEOUT)' : ''}`;
  return seconds * 1000;
}

/** The client options of a connection: its timeout when one was given. */
export const timing = (flags: ConnectionFlags): { timeoutMs?: number } =>
  flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs };

/** The stored login, or null; an unreadable config file is an error rather than silently ignored. */
export function login(io: Io): ClientResult<Config | null> {
  return readConfig(configDir(io.env));
}

/** --url, else BRICOLAGE_URL, else the login's coordinator, else http://localhost:8787. */
export function coordinatorUrl(io: Io, flags: ConnectionFlags, config: Config | null): string {
  return flags.url ?? envVar(io, 'BRICOLAGE_URL') ?? config?.url ?? DEFAULT_URL;
}

/**
 * Why `url` cannot be a coordinator's address, or null: it must be an http(s) URL. (`localhost:8787` parses as a
 * URL of the scheme `localhost:`, and fetch's "unknown scheme" read as a coordinator that did not answer.)
 */
export function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${url} is not a URL (e.g. http://localhost:8787)`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `${url} is not an http:// or https:// URL (e.g. http://localhost:8787)`;
  return null;
}

/** A project's client, and what to say when the coordinator refuses its token. */
export interface Researcher extends BricolageClient {
  readonly refusedToken: string;
}

/**
 * How to get a new token: log in with one, or, for a login that `project open` made from `keyBackup`, open the
 * project again (its user was never shown a brk_ token, and opening it on the volunteer page replaced this one).
 */
export function refusedToken(url: string, keyBackup?: string): string {
  if (keyBackup === undefined)
    return `The coordinator at ${url} refused the project token: log in again with \`bricolage login ${url} --token brk_…\`.`;
  const file = /^[\w@%+=:,./-]+$/.test(keyBackup) ? keyBackup : `'${keyBackup.replaceAll("'", `'\\''`)}'`;
  return (
    `The coordinator at ${url} refused the project token, as it does once the project is opened on the volunteer ` +
    `page: run \`bricolage project open --key-backup ${file}\` again for a new one.`
  );
}

/** A client for a project's routes: --token, else BRICOLAGE_TOKEN, else the login's token. */
export function researcher(io: Io, flags: ConnectionFlags): ClientResult<Researcher> {
  const config = login(io);
  if (!config.ok) return config;
  const url = coordinatorUrl(io, flags, config.value);
  const bad = urlProblem(url);
  if (bad) return { ok: false, error: { code: 'invalid_input', message: bad } };
  const given = flags.token ?? envVar(io, 'BRICOLAGE_TOKEN');
  const token = given ?? config.value?.token;
  if (!token)
    return {
      ok: false,
      error: {
        code: 'unauthorized',
        message: 'not logged in: run `bricolage login URL --token brk_…` (or pass --token, or set BRICOLAGE_TOKEN)',
      },
    };
  const keyBackup = given === undefined ? config.value?.keyBackup : undefined;
  return {
    ok: true,
    value: { ...createClient({ url, token, ...timing(flags) }), refusedToken: refusedToken(url, keyBackup) },
  };
}

/** A refused project token, said so that the fix is obvious. */
export function explain(error: ClientError, client: Pick<Researcher, 'url' | 'refusedToken'>): string | undefined {
  const { url } = client;
  if (error.code === 'unauthorized') return client.refusedToken;
  if (error.code === 'network')
    return error.unsent ? `Is the coordinator running at ${url}? (--url, BRICOLAGE_URL, or log in.)` : cut(url);
  if (error.code === 'timeout') return overloaded(url);
  if (error.code === 'bad_response' && (error.status ?? 0) >= 500)
    return `What answered at ${url} was not the coordinator (HTTP ${error.status}): a proxy in front of it, perhaps.`;
  return undefined;
}

/** What to say when the connection broke after the request went: the coordinator may have done it. */
export const cut = (url: string): string => `The connection to the coordinator at ${url} broke before its answer came.`;

/** What to say when the coordinator took the request and went quiet: it is there, but slow. */
export const overloaded = (url: string): string =>
  `The coordinator at ${url} took the request and did not answer in time: it may be overloaded (wait longer with --timeout SECONDS).`;
