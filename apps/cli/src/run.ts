// `bricolage …`: parses the command line (node:util parseArgs) and runs one command; returns its exit code.
import { parseArgs } from 'node:util';
import { JobId } from '@bricolage/protocol';
import { researcher, timeoutFlag } from './connection';
import { EXIT, EXIT_HELP, type ExitCode } from './exit';
import { type Io, Output } from './io';
import { jobAction, jobCreate, jobList, jobShow } from './commands/job';
import { loginCommand } from './commands/login';
import { ocr } from './commands/ocr';
import { projectOpen } from './commands/funded-project';
import { projectCreate, projectKey } from './commands/project';
import { results } from './commands/results';
import { watch } from './commands/watch';
import { wusAdd } from './commands/wus';

export const USAGE = `usage: bricolage COMMAND [options]

  login URL [--token T]           check a project token with the coordinator at URL and store both
  project create NAME [--login]   create a project on the running coordinator with its operator token
                                  (--operator-token T, BRICOLAGE_OPERATOR_TOKEN, or --data-dir DIR's
                                  operator-token; default DATA_DIR or ./data); --login stores its token
  project open --key-backup FILE  open your volunteer key's own project, paid from its credit, and log in
                                  to it (FILE: the page's key backup; passphrase in BRICOLAGE_KEY_PASSPHRASE)
                                  [--name NAME]
  project key                     make (once) and show the project's Ed25519 signing key, kept beside the
                                  login (mode 0600); job create signs every job with it from then on
  job create DIR|job.json         upload a job's files (a .wgsl with its optional .wasm twin, or an .onnx
                                  model, and constant bindings' files) and create it, signed with the
                                  project key when there is one; --quiet: the id only
  job list | job show JOB         the project's jobs; one job's definition, counts and diagnosis
  job pause|resume|cancel JOB
  wus add JOB FILE|DIR|-          add work units: an NDJSON file, a folder of binary input files (one unit
                                  per file, tag = file name) or stdin; resumes after a cut (--restart: don't)
                                  [--batch N units per request, default 1000]
  watch JOB                       live progress until the job completes
  results JOB --out FILE          download finished units as NDJSON; appends after FILE's last cursor
  ocr DIR [--out FILE]            read the text of a folder of page images (PNG or JPEG) on the grid: a text
                                  detection job, then a recognition job made from its validated
                                  results; writes each page's lines and boxes as NDJSON [--name NAME]

options: --url URL (else BRICOLAGE_URL, else the login's, else http://localhost:8787)
         --token T (else BRICOLAGE_TOKEN, else the login's)   --json (one JSON line per command)
         --timeout SECONDS (else BRICOLAGE_TIMEOUT, else 60): how long a coordinator that sends nothing is
                   waited for, for its answer or between pieces of it (an upload adds time for its size);
                   0 waits as long as the network does
login is stored in $XDG_CONFIG_HOME/bricolage (else ~/.config/bricolage), mode 0600.

${EXIT_HELP}`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  'operator-token': { type: 'string' },
  'data-dir': { type: 'string' },
  description: { type: 'string' },
  owner: { type: 'string' },
  login: { type: 'boolean' },
  batch: { type: 'string' },
  restart: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  'key-backup': { type: 'string' },
  name: { type: 'string' },
} as const;

/**
 * Runs one command. What the commands do not turn into an answer themselves — a file that vanished or cannot be
 * read as it was listed, a line too long to hold — ends as a message and an exit code, never a stack trace.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<ExitCode> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    const out = new Output(io, argv.includes('--json'));
    const { code, message } = error as NodeJS.ErrnoException;
    // A file system error (ENOENT, EACCES, ERR_FS_FILE_TOO_LARGE…) or a line too long for a string: the input's.
    const local = (typeof code === 'string' && /^E[A-Z]+$|^ERR_FS_/.test(code)) || error instanceof RangeError;
    return out.fail(
      { code: local ? 'invalid_input' : 'internal', message: local ? message : `unexpected error: ${message}` },
      local ? undefined : 'This is a bug in bricolage; please report it with the command you ran.',
    );
  }
}

async function dispatch(argv: readonly string[], io: Io): Promise<ExitCode> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    return new Output(io, argv.includes('--json')).usage((e as Error).message, USAGE);
  }
  const { values, positionals } = parsed;
  const out = new Output(io, values.json === true, values.quiet === true);
  if (values.help || positionals.length === 0) {
    io.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const timeoutMs = timeoutFlag(io, values.timeout);
  if (typeof timeoutMs === 'string') return out.usage(timeoutMs, USAGE);
  const flags = { ...values, timeoutMs };
  const [noun, verb, ...rest] = positionals;
  const wrong = () => out.usage(`unknown command: ${positionals.join(' ')}`, USAGE);
  if (noun === 'login') {
    if (verb === undefined || rest.length > 0) return out.usage('login takes one URL', USAGE);
    return loginCommand(out, verb, flags);
  }
  if (noun === 'project' && verb === 'open') {
    if (rest.length > 0) return wrong();
    return projectOpen(out, flags);
  }
  if (noun === 'project' && verb !== 'key') {
    if (verb !== 'create' || rest.length !== 1) return wrong();
    return projectCreate(out, rest[0] as string, flags);
  }

  // A command's JOB is checked before connecting: a missing one is a usage mistake whether or not there is a login.
  let id: JobId | undefined;
  if (noun === 'job' && (verb === 'show' || verb === 'pause' || verb === 'resume' || verb === 'cancel')) {
    if (rest.length > 1) return out.usage(`job ${verb} takes one job id`, USAGE);
    const arg = jobArg(`job ${verb}`, rest[0]);
    if (!arg.ok) return out.usage(arg.problem, USAGE);
    id = arg.id;
  }
  // Said before connecting too: without a login, "unknown command" or "run login first" would hide the mistake.
  if (noun === 'job' && verb === 'create' && rest.length !== 1)
    return out.usage(
      `job create takes one DIR or job.json, ${rest.length === 0 ? 'and none was given' : `not ${rest.length}`}`,
      USAGE,
    );
  if (noun === 'job' && verb === 'list' && rest.length > 0) return out.usage('job list takes nothing more', USAGE);
  if (noun === 'wus') {
    if (verb !== 'add' || rest.length > 2) return wrong();
    // `wus add FILE` is what a shell leaves of `wus add $JOB FILE` when JOB is empty: the id is what is missing.
    const arg = jobArg('wus add', rest.length === 2 || JobId.safeParse(rest[0]).success ? rest[0] : undefined);
    if (!arg.ok) return out.usage(arg.problem, USAGE);
    if (rest.length < 2) return out.usage('wus add takes a job id and FILE, DIR or - (stdin)', USAGE);
    id = arg.id;
  }
  if (noun === 'watch' || noun === 'results') {
    if (rest.length > 0) return out.usage(`${noun} takes one job id`, USAGE);
    const arg = jobArg(noun, verb);
    if (!arg.ok) return out.usage(arg.problem, USAGE);
    id = arg.id;
  }

  // Every other command works on the project of the token.
  const commands: Record<string, number> = { job: 1, wus: 1, watch: 0, results: 0, project: 1, ocr: 0 };
  if (noun === undefined || !(noun in commands)) return wrong();
  const client = researcher(io, flags);
  if (!client.ok) return out.fail(client.error);
  const c = client.value;

  if (noun === 'project') {
    if (rest.length > 0) return wrong();
    return projectKey(out, c);
  }
  if (noun === 'ocr') {
    if (verb === undefined || rest.length > 0) return out.usage('ocr takes one folder of page images', USAGE);
    return ocr(out, c, verb, { out: flags.out, name: flags.name });
  }
  if (noun === 'job') {
    if (verb === 'create' && rest.length === 1) return jobCreate(out, c, rest[0] as string, flags);
    if (verb === 'list' && rest.length === 0) return jobList(out, c);
    if (id === undefined) return wrong();
    return verb === 'show' ? jobShow(out, c, id) : jobAction(out, c, verb as 'pause' | 'resume' | 'cancel', id);
  }
  if (id === undefined) return wrong();
  if (noun === 'wus') {
    const batch = flags.batch === undefined ? undefined : Number(flags.batch);
    if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1 && batch <= 100_000))
      return out.usage(`--batch must be a whole number of units from 1 to 100000, not ${flags.batch}`, USAGE);
    return wusAdd(out, c, id, rest[1] as string, { batch, restart: flags.restart });
  }
  if (noun === 'watch') return watch(out, c, id);
  if (!flags.out) return out.usage('results needs --out FILE (it appends, and resumes from the last line)', USAGE);
  return results(out, c, id, flags.out);
}

const JOB_ID_LOOKS = 'job ids look like job_0123456789abcdef';

/**
 * The JOB argument of `command`, or what is wrong with it. An empty or missing one is what
 * `JOB=$(bricolage job create … --quiet)` leaves when the create failed, so it is said as such.
 */
function jobArg(command: string, text: string | undefined): { ok: true; id: JobId } | { ok: false; problem: string } {
  if (text === undefined)
    return { ok: false, problem: `${command} takes a job id, and none was given (${JOB_ID_LOOKS})` };
  if (text.trim() === '')
    return {
      ok: false,
      problem: `${command} takes a job id, and it was empty: if it came from \`job create --quiet\`, that create failed (${JOB_ID_LOOKS})`,
    };
  const id = JobId.safeParse(text);
  if (!id.success) return { ok: false, problem: `${command} takes one job id: ${text} is not one (${JOB_ID_LOOKS})` };
  return { ok: true, id: id.data };
}
