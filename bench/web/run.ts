// `npx tsx bench/web/run.ts [--runs 5] [--no-build] [--json]`: the volunteer page's JavaScript size (gzip and
// brotli; what loads with the page, with Start, and only for ONNX jobs) and the time from navigation to the
// first work unit computing, in headless Chromium against an in-process coordinator seeded with the demo.
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/support/chromium';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { seedPrimesDemo, startCoordinator } from '@bricolage/coordinator';
import { chromium } from '@playwright/test';
import { build } from 'vite';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const root = resolve(import.meta.dirname, '../..');
const dist = join(root, 'apps/web/dist');
const runs = Math.max(1, Number(args.runs));

if (!args['no-build']) await build({ configFile: join(root, 'apps/web/vite.config.ts'), logLevel: 'error' });

// Sizes: the entry the HTML loads, the worker that Start creates, and onnxruntime-web's glue (ONNX jobs only).
const assets = join(dist, 'assets');
const files = readdirSync(assets).filter((f) => f.endsWith('.js'));
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entry = files.filter((f) => html.includes(`/assets/${f}`));
const worker = files.filter((f) => f.startsWith('worker-'));
const onnx = files.filter((f) => f.startsWith('ort.'));
// The widget's frame and the researcher dashboard are built alongside (widget-frame.html, dashboard.html);
// what only they load is not the volunteer page's.
const importsOf = (name: string) =>
  [...readFileSync(join(assets, name), 'utf8').matchAll(/["'`]\.\/([\w.-]+\.js)["'`]/g)].map((m) => m[1] as string);
const reachable = (from: string[]) => {
  const seen = new Set(from);
  for (const name of seen) for (const next of importsOf(name)) if (files.includes(next)) seen.add(next);
  return seen;
};
const fromPage = reachable([...entry, ...files.filter((f) => f.startsWith('worker-'))]);
const onlyFrom = (page: string) => {
  const pageHtml = readFileSync(join(dist, page), 'utf8');
  return [...reachable(files.filter((f) => pageHtml.includes(`/assets/${f}`)))].filter((f) => !fromPage.has(f));
};
const frameOnly = onlyFrom('widget-frame.html');
const dashboard = onlyFrom('dashboard.html');
const rest = files.filter(
  (f) =>
    !entry.includes(f) && !worker.includes(f) && !onnx.includes(f) && !frameOnly.includes(f) && !dashboard.includes(f),
);
const size = (names: string[]) => {
  let raw = 0;
  let gzip = 0;
  let brotli = 0;
  for (const name of names) {
    const bytes = readFileSync(join(assets, name));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    brotli += brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return { raw, gzip, brotli };
};
const sizes = {
  entry: size(entry),
  worker: size([...worker, ...rest]),
  onnx: size(onnx),
  dashboard: size(dashboard),
};

// Timing: a fresh browser profile each run, so it includes creating the key and calibrating the device.
const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-bench-web-'));
const coordinator = await startCoordinator({ dataDir, port: 0, webRoot: dist });
await seedPrimesDemo(coordinator, { limit: 2 ** 30, segment: 2 ** 20 });
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: CHROMIUM_ARGS,
});
interface Sample {
  script: number;
  ready: number;
  start: number;
  'first-compute': number;
}
const samples: Sample[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(coordinator.url);
    const start = page.getByRole('button', { name: 'Start' });
    await start.click(); // waits until the page has booted and enabled it
    await page.waitForFunction(() => performance.getEntriesByName('bricolage:first-compute').length > 0, null, {
      timeout: 60_000,
    });
    // A string, not a function: tsx would wrap a function's inner helpers in a `__name` the page lacks.
    samples.push(
      (await page.evaluate(`Object.fromEntries(['script', 'ready', 'start', 'first-compute'].map((n) =>
        [n, performance.getEntriesByName('bricolage:' + n)[0]?.startTime ?? NaN]))`)) as Sample,
    );
    await context.close();
  }
} finally {
  await browser.close();
  await coordinator.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const figures = {
  js_entry_gzip_bytes: sizes.entry.gzip,
  js_entry_brotli_bytes: sizes.entry.brotli,
  js_entry_raw_bytes: sizes.entry.raw,
  js_worker_gzip_bytes: sizes.worker.gzip,
  js_onnx_gzip_bytes: sizes.onnx.gzip,
  js_dashboard_gzip_bytes: sizes.dashboard.gzip,
  runs,
  script_ms: Math.round(median(samples.map((s) => s.script))),
  ready_ms: Math.round(median(samples.map((s) => s.ready))),
  start_to_first_compute_ms: Math.round(median(samples.map((s) => s['first-compute'] - s.start))),
  load_to_first_compute_ms: Math.round(median(samples.map((s) => s['first-compute']))),
  load_to_first_compute_max_ms: Math.round(Math.max(...samples.map((s) => s['first-compute']))),
};

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `page JS at load (${entry.join(', ')}): ${kb(sizes.entry.gzip)} gzip, ${kb(sizes.entry.brotli)} brotli, ${kb(sizes.entry.raw)} raw`,
);
console.log(`runtime and compute worker (loaded on Start): ${kb(sizes.worker.gzip)} gzip`);
console.log(`onnxruntime-web glue (ONNX jobs only): ${kb(sizes.onnx.gzip)} gzip, plus its .wasm`);
console.log(`researcher dashboard (its own page, /dashboard): ${kb(sizes.dashboard.gzip)} gzip`);
console.log(
  `page script running: ${figures.script_ms} ms after navigation; page ready (store open, coordinator read): ${figures.ready_ms} ms (medians of ${runs})`,
);
console.log(
  `Start → first work unit computing: ${figures.start_to_first_compute_ms} ms (key, device probe and calibration, sign-in, lease)`,
);
console.log(
  `navigation → first work unit computing, Start clicked when ready: ${figures.load_to_first_compute_ms} ms median, ${figures.load_to_first_compute_max_ms} ms max`,
);
if (args.json) console.log(JSON.stringify(figures));
