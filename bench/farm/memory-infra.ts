// Names what grows in a farm tab's browser. A memory slope says that memory grows; this says where:
// Chromium's own accounting (memory-infra, the per-process, per-allocator sizes chrome://tracing shows),
// dumped from every tab's browser at intervals while the farm computes without a pause, then compared.
//
//   npm run bench:farm-memory -- --tabs 4 --minutes 16 --every 4 [--gc] [--raw FILE] [--json]
//
// --gc collects garbage in every page and worker, and has every process collect its own, before each dump, so
// that what is left is what is kept; without it a dump sees what V8 and Blink have not collected yet as well.
// The farm runs as it ships, so each tab also collects its garbage once a minute (the farm's --collect-every):
// without --gc a dump sees at most a minute's uncollected garbage.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type BrowserTab, findChromium, startFarm } from '@bricolage/farm';
import { Grid } from './grid';
import { allComputing, benchFarmOptions, collectGarbage } from './tabs';

const { values: args } = parseArgs({
  options: {
    tabs: { type: 'string', default: '4' },
    minutes: { type: 'string', default: '16' },
    every: { type: 'string', default: '4' },
    segment: { type: 'string', default: String(2 ** 20) },
    gc: { type: 'boolean', default: false },
    raw: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

/** One process's sizes in bytes: `totals/<name>` and `<allocator path>` (its `size` attribute). */
interface ProcessDump {
  readonly kind: string;
  readonly sizes: Record<string, number>;
}

interface TraceEvent {
  readonly ph: string;
  readonly pid: number;
  readonly name: string;
  readonly args?: {
    readonly name?: string;
    readonly dumps?: {
      readonly allocators?: Record<string, { readonly attrs?: Record<string, { readonly value?: string }> }>;
      readonly process_totals?: Record<string, unknown>;
    };
  };
}

/** One detailed memory dump of every process of `browser`. */
async function dump(browser: BrowserTab, collect: boolean): Promise<ProcessDump[]> {
  const events: TraceEvent[] = [];
  const offData = browser.onBrowser('Tracing.dataCollected', (p) => events.push(...(p.value as TraceEvent[])));
  const complete = new Promise<void>((resolve) => {
    const off = browser.onBrowser('Tracing.tracingComplete', () => {
      off();
      resolve();
    });
  });
  await browser.sendToBrowser('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: ['disabled-by-default-memory-infra'],
      excludedCategories: ['*'],
      memoryDumpConfig: { triggers: [] },
    },
  });
  const reply = await browser.sendToBrowser<{ success: boolean }>('Tracing.requestMemoryDump', {
    // `deterministic` has every process collect its garbage first: only with --gc.
    deterministic: collect,
    levelOfDetail: 'detailed',
  });
  await browser.sendToBrowser('Tracing.end');
  await complete;
  offData();
  if (!reply.success) throw new Error('the memory dump failed');
  const kinds = new Map<number, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'process_name' && e.args?.name) kinds.set(e.pid, e.args.name);
  const sizes = new Map<number, Record<string, number>>();
  for (const e of events) {
    if (e.ph !== 'v' || !e.args?.dumps) continue;
    // A process reports its totals and its allocators in separate events.
    const into = sizes.get(e.pid) ?? {};
    sizes.set(e.pid, into);
    for (const [path, node] of Object.entries(e.args.dumps.allocators ?? {})) {
      // Tracing's own buffers, and Blink's per-class object counts (already inside blink_gc).
      if (/^(shared_memory|global|blink_objects)\b/.test(path)) continue;
      const size = node.attrs?.size?.value;
      if (size !== undefined) into[path] = Number.parseInt(size, 16);
    }
    for (const [name, value] of Object.entries(e.args.dumps.process_totals ?? {}))
      if (typeof value === 'string' && name === 'private_footprint_bytes')
        into[`totals/${name}`] = Number.parseInt(value, 16);
  }
  return [...sizes].map(([pid, s]) => ({ kind: kinds.get(pid) ?? 'unknown', sizes: s }));
}

/**
 * Sums every tab's processes by kind and allocator, two levels deep, with the instance ids Chromium puts in
 * some names (one LevelDB database per origin, say) taken out so that the tabs' instances add up.
 */
function summed(tabs: readonly ProcessDump[][]): Map<string, number> {
  const sum = new Map<string, number>();
  for (const processes of tabs)
    for (const { kind, sizes } of processes)
      for (const [path, bytes] of Object.entries(sizes)) {
        if (path.split('/').length > 2) continue;
        const key = `${kind} ${path.replace(/(0x|__)[0-9a-fA-F]+/g, '$1…')}`;
        sum.set(key, (sum.get(key) ?? 0) + bytes);
      }
  return sum;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

const tabs = Number(args.tabs);
const minutes = Number(args.minutes);
const every = Number(args.every);
const chromium = findChromium(undefined);
if (!chromium.ok) throw new Error(chromium.message);
const grid = await Grid.start(Number(args.segment), tabs === 1 ? 1 : 2);
const dumps: { minute: number; tabs: ProcessDump[][] }[] = [];
try {
  await grid.addWork(3000);
  let ready = false;
  const farm = startFarm(benchFarmOptions(grid, tabs, chromium.path), {
    message: (text) => console.error(`  ${text}`),
    tick: (all) => {
      ready ||= allComputing(all);
    },
  });
  while (!ready) await new Promise((r) => setTimeout(r, 1000));
  // Work never runs out: a tab with nothing to do collects its garbage, and the point is one that never idles.
  let topping = false;
  const topUp = setInterval(() => {
    if (topping) return;
    topping = true;
    void grid
      .counts()
      .then((c) => (c.unsent < 1000 ? grid.addWork(1000) : undefined))
      .catch((e: Error) => console.error(`  top-up failed: ${e.message}`))
      .finally(() => {
        topping = false;
      });
  }, 10_000);
  console.log(`every tab computing: a dump of every browser every ${every} min for ${minutes} min`);
  // Once, not kept: the first trace sets tracing itself up in every process.
  for (const t of farm.tabs) if (t.browser) await dump(t.browser, args.gc);
  const t0 = performance.now();
  for (let minute = 0; minute <= minutes; minute += every) {
    const wait = t0 + minute * 60_000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (args.gc) await collectGarbage(farm.tabs);
    const perTab: ProcessDump[][] = [];
    for (const t of farm.tabs) if (t.browser) perTab.push(await dump(t.browser, args.gc));
    dumps.push({ minute, tabs: perTab });
    const { validated } = await grid.counts();
    console.log(
      `  ${String(minute).padStart(3)} min: ${perTab.length} browsers dumped, ${validated} work units validated`,
    );
  }
  clearInterval(topUp);
  farm.stop('duration');
  await farm.done;
} finally {
  await grid.close();
  if (args.raw) writeFileSync(args.raw, JSON.stringify(dumps));
}

const series = dumps.map((d) => summed(d.tabs));
const first = series[0] ?? new Map<string, number>();
const last = series.at(-1) ?? new Map<string, number>();
const footprint: Record<string, number[]> = {};
for (const key of new Set(series.flatMap((s) => [...s.keys()])))
  if (key.endsWith(' totals/private_footprint_bytes'))
    footprint[key.replace(' totals/private_footprint_bytes', '')] = series.map((s) => mb(s.get(key) ?? 0));
const grew = [...last]
  .filter(([key]) => !key.includes('totals/'))
  .map(([key, bytes]) => [key, mb(bytes - (first.get(key) ?? 0))] as const)
  .filter(([, delta]) => Math.abs(delta) >= 0.5)
  .sort((a, b) => b[1] - a[1]);

console.log(
  `\nprivate footprint by process kind, summed over ${tabs} browsers (MB), at ${dumps.map((d) => d.minute).join(', ')} min:`,
);
for (const [kind, values] of Object.entries(footprint))
  console.log(`  ${kind.padEnd(40)} ${values.map((v) => v.toFixed(1).padStart(7)).join(' ')}`);
console.log(`\nallocators that changed by 0.5 MB or more, first dump to last (MB):`);
for (const [key, delta] of grew) console.log(`  ${delta.toFixed(1).padStart(7)}  ${key}`);
if (args.json)
  console.log(
    JSON.stringify({
      tabs,
      minutes: dumps.map((d) => d.minute),
      gc: args.gc,
      private_footprint_mb: footprint,
      allocator_change_mb: Object.fromEntries(grew),
    }),
  );
