// `npm run coordinator -- …`: operator commands. Projects are created over HTTP by the running
// coordinator, authorised by the operator token in its data directory, so the command can never write
// to another database than the one the coordinator serves: with another DATA_DIR it finds no token, or
// one that coordinator refuses, and says so.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  API,
  type BanList,
  type BanResponse,
  type CreatedProject,
  type Project,
  VolunteerKey,
} from '@bricolage/protocol';
import { operatorTokenPath, readOperatorToken, rotateOperatorToken } from './operator-token';

const USAGE = `usage:
  npm run coordinator -- project create NAME [--description TEXT] [--owner TEXT] [--url URL]
  npm run coordinator -- project list [--url URL]
  npm run coordinator -- operator-token [--rotate]
  npm run coordinator -- volunteer ban KEY --reason TEXT [--url URL]
  npm run coordinator -- volunteer unban KEY [--url URL]
  npm run coordinator -- volunteer bans [--url URL]
environment: DATA_DIR, the running coordinator's data directory (default ./data), holds the operator
token; --url defaults to http://localhost:$PORT (PORT default 8787). BRICOLAGE_OPERATOR_TOKEN
overrides the token file. Exit codes: 0 ok, 1 refused or unreachable, 2 usage.`;

// npm runs workspace scripts from the workspace folder; relative paths are the caller's (INIT_CWD).
const dataDir = process.env.DATA_DIR
  ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.DATA_DIR)
  : resolve(import.meta.dirname, '../../../data');

function usage(message?: string): never {
  if (message) console.error(`coordinator: ${message}`);
  console.error(USAGE);
  process.exit(2);
}

function fail(message: string): never {
  console.error(`coordinator: ${message}`);
  process.exit(1);
}

/**
 * A volunteer key is base64url, so one in 64 begins with '-' and parseArgs would read it as an option
 * ("Unknown option '-m'"). An argument that is a whole key is a key wherever it stands: it is moved
 * after '--', where every argument is positional. It is the last positional of the commands that take
 * one, so the order of the positionals is kept.
 */
function keysAsPositionals(args: readonly string[]): string[] {
  const isDashedKey = (a: string) => a.startsWith('-') && VolunteerKey.safeParse(a).success;
  const end = args.indexOf('--');
  const options = end === -1 ? args : args.slice(0, end);
  const after = end === -1 ? [] : args.slice(end + 1);
  return [...options.filter((a) => !isDashedKey(a)), '--', ...options.filter(isDashedKey), ...after];
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    args: keysAsPositionals(process.argv.slice(2)),
    allowPositionals: true,
    options: {
      description: { type: 'string', default: '' },
      reason: { type: 'string', default: '' },
      owner: { type: 'string', default: '' },
      url: { type: 'string', default: `http://localhost:${process.env.PORT ?? 8787}` },
      rotate: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}
try {
  parsed = parse();
} catch (e) {
  usage((e as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [noun, verb, name, ...extra] = positionals;
// A mistyped --url (or a PORT that makes the default one) is a usage mistake, said before any request.
const base = ((): URL => {
  const url = URL.canParse(values.url) ? new URL(values.url) : null;
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
  return usage(`--url ${values.url} is not an http:// or https:// URL (e.g. http://localhost:8787)`);
})();

/** A request to the running coordinator; unreachable is a clear failure, not a stack trace. */
async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const url = new URL(path, base);
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    return fail(
      `no coordinator answers at ${url.origin} (${(e as Error).message}): start it with \`npm start\` (same DATA_DIR), or pass --url`,
    );
  }
}

async function errorOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    return `${res.status} ${text.slice(0, 200)}`;
  }
}

if (noun === 'operator-token' && verb === undefined) {
  if (values.rotate) {
    const token = rotateOperatorToken(dataDir);
    console.log(token);
    console.error(`operator token replaced in ${operatorTokenPath(dataDir)}; the old one no longer works`);
  } else {
    const token = readOperatorToken(dataDir);
    if (!token)
      fail(`no operator token in ${operatorTokenPath(dataDir)}: the coordinator makes one at its first start there`);
    console.log(token);
  }
} else if (noun === 'project' && verb === 'list' && name === undefined) {
  const res = await call(API.projects);
  if (!res.ok) fail(await errorOf(res));
  for (const p of ((await res.json()) as { projects: Project[] }).projects) console.log(`${p.id}  ${p.name}`);
} else if (noun === 'project' && verb === 'create' && name !== undefined && extra.length === 0) {
  const res = await asOperator(API.projects, { name, description: values.description, owner: values.owner });
  if (!res.ok) fail(await errorOf(res));
  const created = (await res.json()) as CreatedProject;
  console.log(`project ${created.project.id} created`);
  console.log(`token   ${created.token}`);
  console.log('Keep the token: it is shown once and is the only way to manage this project.');
} else if (noun === 'volunteer' && verb === 'ban' && name !== undefined && extra.length === 0) {
  if (!values.reason.trim())
    usage('volunteer ban needs --reason TEXT (it is kept, and shown to the refused volunteer)');
  const res = await asOperator(API.ban(name), { reason: values.reason });
  if (!res.ok) fail(await errorOf(res));
  const { ban, released } = (await res.json()) as BanResponse;
  console.log(`volunteer ${ban.volunteer} banned (${ban.reason}); ${released} open lease(s) released`);
} else if (noun === 'volunteer' && verb === 'unban' && name !== undefined && extra.length === 0) {
  const res = await asOperator(API.unban(name));
  if (!res.ok) fail(await errorOf(res));
  const { wasBanned } = (await res.json()) as { wasBanned: boolean };
  console.log(wasBanned ? `volunteer ${name} unbanned` : `volunteer ${name} was not banned`);
} else if (noun === 'volunteer' && verb === 'bans' && name === undefined) {
  const res = await asOperator(API.bans, undefined, 'GET');
  if (!res.ok) fail(await errorOf(res));
  for (const b of ((await res.json()) as BanList).bans)
    console.log(`${b.volunteer}  ${new Date(b.at).toISOString()}  ${b.reason}`);
} else {
  usage();
}

/** A request to the running coordinator with the operator token of DATA_DIR (or BRICOLAGE_OPERATOR_TOKEN). */
async function asOperator(path: string, body?: unknown, method = 'POST'): Promise<Response> {
  const tokenPath = operatorTokenPath(dataDir);
  const token = process.env.BRICOLAGE_OPERATOR_TOKEN || readOperatorToken(dataDir);
  if (!token)
    fail(
      `no operator token in ${tokenPath}: set DATA_DIR to the running coordinator's data directory (or BRICOLAGE_OPERATOR_TOKEN)`,
    );
  const res = await call(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 401)
    fail(
      `the coordinator at ${new URL(values.url).origin} refused the operator token ${process.env.BRICOLAGE_OPERATOR_TOKEN ? 'in BRICOLAGE_OPERATOR_TOKEN' : `from ${tokenPath}`}: ` +
        'it runs with another DATA_DIR, or the token was rotated. Nothing was changed.',
    );
  return res;
}
