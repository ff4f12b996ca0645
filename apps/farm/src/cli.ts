// `npm run farm -- --coordinator URL [--coordinator URL2 …] --tabs N [--duration 10m | --wus K] [--throttle 100]
// [--project ID]`
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ProjectId } from '@bricolage/protocol';
import { findChromium } from './chromium';
import { lineDisplay, humanSummary, terminalDisplay } from './display';
import { GridWatch } from './progress';
import { startFarm } from './farm';
import { EXIT } from './summary';

const USAGE = `usage: npm run farm -- --coordinator URL [--coordinator URL2 …] --tabs N [--duration 10m | --wus K]
                    [--throttle 10-100] [--project ID] [--chromium PATH] [--profiles DIR] [--collect-every 1m] [--json]
  --coordinator  the first serves the page (and counts for --wus, --project); each further one is added in
                 every tab as another grid, served with the same key at an equal share
  --wus K        stop once the coordinator has validated K of the farm's results
  --duration D   stop after D (e.g. 90s, 10m, 1h)
  --profiles DIR where each tab keeps its browser profile, hence its identity (default ./data/farm)
  --collect-every D  how often each tab collects its garbage (default 1m; 0 never): a tab that
                 never idles otherwise holds garbage for a long time before V8 collects it
  --json         print the final summary as one JSON line
exit codes: 0 ok, 1 a tab crashed or a result was rejected, 2 usage, 3 coordinator unreachable, 4 no Chromium,
            5 no work for the farm while the grid still has unfinished work units (the summary says why)`;

function duration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function fail(message: string, code: number = EXIT.usage): never {
  console.error(`farm: ${message}`);
  if (code === EXIT.usage) console.error(USAGE);
  process.exit(code);
}

function options() {
  // parseArgs throws on an option it does not know, or one missing its value (`--wus -3` reads -3 as an option):
  // said as any other usage mistake, not as a stack trace with the exit code of a crashed tab.
  try {
    return parseArgs({
      options: {
        coordinator: { type: 'string', multiple: true, default: ['http://localhost:8787'] },
        tabs: { type: 'string', default: '1' },
        duration: { type: 'string' },
        wus: { type: 'string' },
        throttle: { type: 'string', default: '100' },
        project: { type: 'string' },
        chromium: { type: 'string' },
        profiles: { type: 'string' },
        json: { type: 'boolean', default: false },
        'unreachable-timeout': { type: 'string', default: '60s' },
        'collect-every': { type: 'string', default: '1m' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}
const { values } = options();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const tabs = Number(values.tabs);
if (!Number.isInteger(tabs) || tabs < 1 || tabs > 256) fail('--tabs must be an integer from 1 to 256');
const throttle = Number(values.throttle);
if (!(throttle >= 10 && throttle <= 100)) fail('--throttle must be a percentage from 10 to 100');
const durationMs = values.duration === undefined ? undefined : (duration(values.duration) ?? fail('bad --duration'));
const wus = values.wus === undefined ? undefined : Number(values.wus);
if (wus !== undefined && (!Number.isInteger(wus) || wus < 1)) fail('--wus must be a positive integer');
const unreachableTimeoutMs = duration(values['unreachable-timeout']) ?? fail('bad --unreachable-timeout');
const collectEveryMs = duration(values['collect-every']) ?? fail('bad --collect-every');
// The coordinator refuses a lease for what is no project id; said here, before any browser starts.
if (values.project !== undefined && !ProjectId.safeParse(values.project).success)
  fail('--project must be a project id like prj_0123456789abcdef (GET /v1/projects lists them)');
const coordinators = values.coordinator.map((text) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`--coordinator ${text} is not a URL`);
  }
  // `localhost:8787` parses as a URL of the scheme `localhost:`, which cannot be the base of /healthz: the farm
  // then ended in an uncaught TypeError's stack trace.
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail(`--coordinator ${text} is not an http:// or https:// URL (e.g. http://localhost:8787)`);
  return url;
});
// The same coordinator twice asks the page to add a grid it already has: every tab then failed, after Chromium
// had started, with "the page would not add the grid". Compared by origin: the farm talks to each at its origin.
coordinators.forEach((url, i) => {
  const first = coordinators.findIndex((other) => other.origin === url.origin);
  if (first !== i)
    fail(
      `--coordinator ${values.coordinator[i]} is the same coordinator as --coordinator ${values.coordinator[first]} (${url.origin}): give each one once`,
    );
});
const [coordinator = fail('--coordinator is required'), ...others] = coordinators;
const browser = findChromium(values.chromium);
if (!browser.ok) fail(browser.message, EXIT.noChromium);

// Fail fast, with the address we tried, when nothing answers there.
for (const url of coordinators) {
  const reachable = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (!reachable) fail(`no coordinator answers at ${url.origin} (GET /healthz)`, EXIT.unreachable);
}

const cwd = process.env.INIT_CWD ?? process.cwd();
const profiles = resolve(cwd, values.profiles ?? 'data/farm', coordinator.host.replace(/[^A-Za-z0-9.-]/g, '_'));
const tty = process.stdout.isTTY && !values.json;
// The grid's own progress (every volunteer's, not only this farm's), read from its public status.
const grid = new GridWatch(coordinator.origin, values.project);
grid.start();
const events = tty
  ? terminalDisplay(process.stdout, wus, grid)
  : lineDisplay(values.json ? process.stderr : process.stdout, wus, grid);
events.message?.(
  `farm: ${tabs} tab(s) on ${[coordinator, ...others].map((u) => u.origin).join(' + ')}, Chromium ${browser.path}, profiles in ${profiles}`,
);

const farm = startFarm(
  {
    coordinator: coordinator.origin,
    tabs,
    chromium: browser.path,
    profiles,
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(wus === undefined ? {} : { wus }),
    throttle,
    ...(values.project ? { project: values.project } : {}),
    grids: others.map((url) => url.origin),
    unreachableTimeoutMs,
    pollMs: 1000,
    flushTimeoutMs: 30_000,
    collectEveryMs,
  },
  events,
);
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      events.message?.('second signal: exiting without waiting for the outbox');
      process.exit(130);
    }
    events.message?.(`${signal}: finishing current work units, flushing results, closing browsers…`);
    farm.stop('signal');
  });
}
const summary = await farm.done;
grid.stop();
if (values.json) console.log(JSON.stringify(summary));
else console.log(humanSummary(summary));
process.exit(summary.exit_code);
