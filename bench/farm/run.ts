// `npm run bench:farm -- [--tabs 1,2,4,8,16] [--wus 1200] [--segment 2^24] [--soak 10m] [--soak-tabs 16]
// [--soak-only] [--soak-gc] [--collect-every 1m] [--json]`:
// headless farms of growing size on this machine, each point against a fresh child coordinator (so its CPU is
// its own) given a fixed amount of primes work once every tab is up; then, optionally, a long soak that
// samples the browsers' memory to show whether it grows.
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type FarmOptions, type FarmSummary, type Tab, findChromium, startFarm, survivors } from '@bricolage/farm';
import { allProcesses, treeUsage } from '../../apps/farm/src/procstats';
import { Grid } from './grid';
import { allComputing, benchFarmOptions, collectGarbage, readHeaps } from './tabs';
import { type Series, fitSlope, mean, slopeError } from './stats';
import { browserProcesses, pssByKind, threadCpu, topDeltas } from './breakdown';

const { values: args } = parseArgs({
  options: {
    tabs: { type: 'string', default: '1,2,4,8,16' },
    /**
     * Validated results measured per point (as `npm run farm -- --wus` counts them: half as many work units at
     * quorum 2), from the moment every tab is computing.
     */
    wus: { type: 'string', default: '1200' },
    segment: { type: 'string', default: '2^24' },
    throttle: { type: 'string', default: '100' },
    'point-timeout': { type: 'string', default: '10m' },
    soak: { type: 'string' },
    'soak-tabs': { type: 'string', default: '16' },
    /**
     * How long the soak runs, once every tab computes, before its measured window (`--soak`) starts. It covers
     * what Chromium starts late on its own: an on-device-model service ≈ 3 minutes after launch that no
     * switch of this build turns off (see BENCHMARKS.md).
     */
    'soak-warmup': { type: 'string', default: '4m' },
    /** Only the soak, no sweep. */
    'soak-only': { type: 'boolean', default: false },
    /**
     * Collect garbage in every page before each soak sample, so that the soak measures what the pages retain
     * rather than when V8 chose to collect (it postpones collection on a machine with no idle time).
     */
    'soak-gc': { type: 'boolean', default: false },
    /** How often the farm has each tab collect its garbage (its --collect-every; 0 never). */
    'collect-every': { type: 'string', default: '1m' },
    chromium: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

// With --json the figures still go out as they come, on stderr, so that stdout ends with the JSON line alone.
const log = (line: string) => (args.json ? console.error(line) : console.log(line));
const warn = (line: string) => console.error(line);

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration: ${text} (e.g. 90s, 10m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

function integers(text: string): number {
  const m = /^2\^(\d+)$/.exec(text.trim());
  return m ? 2 ** Number(m[1]) : Number(text);
}

const CORES = availableParallelism();
const browser = findChromium(args.chromium);
if (!browser.ok) throw new Error(browser.message);
const segment = integers(args.segment);
const results = Number(args.wus);
const sweep = args['soak-only'] ? [] : args.tabs.split(',').map(Number);
if (!(results >= 2) || results % 2 !== 0) throw new Error('--wus must be an even number of results (quorum 2)');
if (sweep.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error('--tabs takes integers 1–64');
if (!Number.isInteger(segment) || segment < 1) throw new Error('--segment takes a number of integers, e.g. 2^24');
const soakWarmupS = duration(args['soak-warmup']) / 1000;
const segmentLabel = Number.isInteger(Math.log2(segment)) ? `2^${Math.log2(segment)}` : String(segment);

const collectEveryMs = duration(args['collect-every']);
const farmOptions = (grid: Grid, tabs: number): FarmOptions =>
  benchFarmOptions(grid, tabs, browser.path, Number(args.throttle), collectEveryMs);

interface TabReading {
  readonly computed: number;
  readonly computeMs: number;
  readonly wallMs: number;
  readonly cpu: number;
  readonly pss: number;
}

interface Reading {
  readonly t: number;
  readonly computed: number;
  readonly validatedWUs: number;
  readonly coordinatorCpu: number;
  readonly harnessCpu: number;
  readonly machineCpu: number;
  /** CPU seconds by browser process type and thread name, all tabs together. */
  readonly threads: ReadonlyMap<string, number>;
  readonly tabs: readonly TabReading[];
}

/** CPU seconds the whole machine has been busy (all cores, /proc/stat), to tell other work on it apart. */
function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const busy = cpu.slice(0, 8).reduce((n, x, i) => (i === 3 || i === 4 ? n : n + x), 0);
  return busy / 100; // USER_HZ
}

/** The tabs as of their last poll, their processes and the coordinator's as of now. */
function read(tabs: readonly Tab[], grid: Grid, validatedWUs: number): Reading {
  const procs = allProcesses();
  const harness = process.cpuUsage();
  return {
    t: performance.now() / 1000,
    computed: tabs.reduce((n, t) => n + (t.snapshot?.computed ?? 0), 0),
    validatedWUs,
    coordinatorCpu: grid.cpuSeconds(),
    harnessCpu: (harness.user + harness.system) / 1e6,
    machineCpu: machineBusySeconds(),
    threads: threadCpu(browserProcesses(tabs.map((t) => t.profile))),
    tabs: tabs.map((t) => {
      const usage = treeUsage(t.profile, procs);
      return {
        computed: t.snapshot?.computed ?? 0,
        computeMs: t.snapshot?.computeMs ?? 0,
        wallMs: t.snapshot?.wallMs ?? 0,
        cpu: usage.cpuSeconds,
        pss: usage.rssBytes / 2 ** 20,
      };
    }),
  };
}

export interface PointFigures {
  readonly tabs: number;
  readonly quorum: number;
  readonly results: number;
  readonly segment: number;
  /**
   * Results computed per second, from every tab computing until the job was done (as the farm counts WU/s).
   * Validated results/s runs ahead of it while second replicas catch up with the first, then converges.
   */
  readonly wu_per_s: number;
  readonly validated_per_s: number;
  readonly wu_per_s_per_tab: number;
  /** All validated results ÷ the whole run until the end of the measurement, browser start-up included. */
  readonly end_to_end_wu_per_s: number;
  readonly duty_cycle_mean: number;
  readonly duty_cycle_min: number;
  /** Worker time per work unit (wall clock: it stretches when tabs share a core). */
  readonly compute_ms_per_wu: number;
  /** Mean PSS of one tab's browser (all its processes) at the end of the window. */
  readonly rss_mb_per_tab: number;
  readonly rss_mb_max_tab: number;
  readonly rss_mb_total: number;
  /** The same per tab by Chromium process type (`renderer`, `gpu-process`, `browser`, …). */
  readonly rss_mb_per_tab_by_kind: Readonly<Record<string, number>>;
  /** CPU time ÷ (window × cores): the share of the whole machine. */
  readonly browser_cpu_share: number;
  readonly coordinator_cpu_share: number;
  readonly harness_cpu_share: number;
  /** Everything else the machine ran meanwhile (other people's work shares it): machine busy − the above. */
  readonly other_cpu_share: number;
  /** The browsers' busiest threads (process type/thread name) as shares of the machine. */
  readonly cpu_by_thread: Readonly<Record<string, number>>;
  readonly coordinator_cpu_ms_per_result: number;
  /** Seconds from launch until the first tab, and every tab, was computing (the measurement starts then). */
  readonly first_tab_s: number;
  readonly startup_s: number;
  readonly window_s: number;
  readonly seconds: number;
  /** Tabs per backend the page chose, and what those tabs computed per second in the window. */
  readonly backends: Readonly<
    Record<string, { readonly tabs: number; readonly computed_per_s: number; readonly cpu_share: number }>
  >;
  readonly failed_tabs: number;
  readonly rejected: number;
  readonly errors: number;
  /** Results still in a tab's outbox when the farm closed it (the farm waits 30 s for each to drain). */
  readonly unflushed: number;
  readonly orphans: number;
  readonly exit_code: number;
  readonly load_at_start: number;
}

/** Shares of the whole machine's CPU between two readings. */
function shares(start: Reading, end: Reading) {
  const seconds = (end.t - start.t) * CORES;
  const browsers = end.tabs.reduce((n, e, i) => n + e.cpu - (start.tabs[i]?.cpu ?? 0), 0);
  const coordinator = end.coordinatorCpu - start.coordinatorCpu;
  const harness = end.harnessCpu - start.harnessCpu;
  const other = Math.max(0, end.machineCpu - start.machineCpu - browsers - coordinator - harness);
  return {
    browser_cpu_share: r3(browsers / seconds),
    coordinator_cpu_share: r3(coordinator / seconds),
    harness_cpu_share: r3(harness / seconds),
    other_cpu_share: r3(other / seconds),
    cpu_by_thread: topDeltas(start.threads, end.threads, seconds),
  };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r1 = (x: number) => Math.round(x * 10) / 10;

async function point(tabs: number): Promise<PointFigures> {
  // One tab cannot form a quorum of two distinct volunteers: it validates alone, over the same number of results.
  const quorum = tabs === 1 ? 1 : 2;
  const load = loadavg()[0] as number;
  const grid = await Grid.start(segment, quorum);
  const problems: string[] = [];
  // Work is kept ahead of the tabs throughout, so that none waits for it: this many work units unsent at least.
  const low = Math.max(100, 8 * tabs);
  try {
    await grid.addWork(2 * low);
    const timeoutMs = duration(args['point-timeout']);
    const t0 = performance.now() / 1000;
    // Set by the farm's callbacks (an object, so that the loop below sees them change).
    // `ready`: every tab is computing; the main loop then takes the start reading with counts fetched at that
    // moment (a count from the loop's last poll can be seconds old on a loaded machine).
    const state: { validated: number; first: number | null; ready: number | null; start: Reading | null } = {
      validated: 0,
      first: null,
      ready: null,
      start: null,
    };
    let end: Reading | null = null;
    let memory = new Map<string, number>();
    let shown = 0;
    let failedWUs = 0;
    const farm = startFarm(farmOptions(grid, tabs), {
      message: (text) => {
        problems.push(text);
        warn(`  ${tabs} tab(s): ${text}`);
      },
      tick: (all, elapsedMs) => {
        if (state.first === null && all.some((t) => (t.snapshot?.computed ?? 0) > 0)) state.first = elapsedMs / 1000;
        if (state.ready === null && allComputing(all)) {
          state.ready = elapsedMs / 1000;
          log(`  every tab computing after ${state.ready.toFixed(1)} s: measuring the next ${results} results`);
        }
        if (elapsedMs - shown >= 10_000) {
          shown = elapsedMs;
          const computing = all.filter((t) => (t.snapshot?.computed ?? 0) > 0).length;
          const done = state.start ? (state.validated - state.start.validatedWUs) * quorum : 0;
          log(
            `  ${(elapsedMs / 1000).toFixed(0).padStart(4)} s  ${computing}/${tabs} tabs computing, ` +
              `${done}/${results} measured results validated`,
          );
        }
      },
    });
    const interrupt = () => farm.stop('signal');
    process.once('SIGINT', interrupt);
    let finished = false;
    void farm.done.finally(() => {
      finished = true;
    });
    let topping: Promise<void> | null = null;
    let summary: FarmSummary;
    try {
      // The measurement runs from the moment every tab is computing until `results` more have been validated.
      while (!finished) {
        const counts = await grid.counts();
        state.validated = counts.validated;
        failedWUs = counts.failed;
        if (state.ready !== null && state.start === null) state.start = read(farm.tabs, grid, counts.validated);
        const start = state.start;
        if (start && (counts.validated - start.validatedWUs) * quorum >= results) {
          end = read(farm.tabs, grid, counts.validated);
          memory = pssByKind(browserProcesses(farm.tabs.map((t) => t.profile))).total;
          break;
        }
        if (counts.unsent < low)
          topping ??= grid.addWork(2 * low).finally(() => {
            topping = null;
          });
        if (performance.now() / 1000 - t0 > timeoutMs / 1000) {
          problems.push(`timed out after ${args['point-timeout']}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      process.off('SIGINT', interrupt);
      farm.stop('wus');
      summary = await farm.done;
      await topping;
    }
    if (failedWUs > 0) problems.push(`${failedWUs} work unit(s) failed`);
    const orphans = survivors(join(grid.dir, 'profiles')).length;
    if (!state.start || !end || state.first === null)
      throw new Error(`${tabs} tab(s): no measurement (${problems.join('; ') || summary.reason})`);
    return figures(
      tabs,
      quorum,
      { t0, first: state.first },
      state.start,
      end,
      memory,
      summary,
      orphans,
      load,
      problems,
    );
  } finally {
    await grid.close();
  }
}

function figures(
  tabs: number,
  quorum: number,
  times: { readonly t0: number; readonly first: number },
  start: Reading,
  end: Reading,
  memory: ReadonlyMap<string, number>,
  summary: FarmSummary,
  orphans: number,
  load: number,
  problems: readonly string[],
): PointFigures {
  const window = end.t - start.t;
  const duties = end.tabs
    .map((e, i) => {
      const s = start.tabs[i] as TabReading;
      return e.wallMs > s.wallMs ? (e.computeMs - s.computeMs) / (e.wallMs - s.wallMs) : null;
    })
    .filter((d): d is number => d !== null);
  const live = end.tabs.filter((t) => t.pss > 0);
  // The tabs' counters as of their last poll (≤ 1 poll behind); the farm's summary is read after Stop.
  const computedPerS = (end.computed - start.computed) / window;
  const backends: Record<string, { tabs: number; computed_per_s: number; cpu_share: number }> = {};
  summary.per_tab.forEach((t, i) => {
    const name = t.backend ?? 'none';
    const b = backends[name] ?? { tabs: 0, computed_per_s: 0, cpu_share: 0 };
    const computed = (end.tabs[i]?.computed ?? 0) - (start.tabs[i]?.computed ?? 0);
    const cpu = (end.tabs[i]?.cpu ?? 0) - (start.tabs[i]?.cpu ?? 0);
    backends[name] = {
      tabs: b.tabs + 1,
      computed_per_s: r3(b.computed_per_s + computed / window),
      cpu_share: r3(b.cpu_share + cpu / window / CORES),
    };
  });
  if (problems.length > 0) warn(`  ${tabs} tab(s): ${problems.length} problem(s): ${problems.join('; ')}`);
  return {
    tabs,
    quorum,
    results,
    segment,
    wu_per_s: r3(computedPerS),
    validated_per_s: r3(((end.validatedWUs - start.validatedWUs) * quorum) / window),
    wu_per_s_per_tab: r3(computedPerS / tabs),
    end_to_end_wu_per_s: r3((end.validatedWUs * quorum) / (end.t - times.t0)),
    duty_cycle_mean: r3(mean(duties)),
    duty_cycle_min: r3(Math.min(...duties)),
    compute_ms_per_wu: r1(
      end.tabs.reduce((n, e, i) => n + e.computeMs - (start.tabs[i] as TabReading).computeMs, 0) /
        Math.max(1, end.computed - start.computed),
    ),
    rss_mb_per_tab: r1(mean(live.map((t) => t.pss))),
    rss_mb_max_tab: r1(Math.max(...live.map((t) => t.pss))),
    rss_mb_total: r1(live.reduce((n, t) => n + t.pss, 0)),
    rss_mb_per_tab_by_kind: Object.fromEntries(
      [...memory].sort((a, b) => b[1] - a[1]).map(([kind, mb]) => [kind, r1(mb / Math.max(1, live.length))]),
    ),
    ...shares(start, end),
    coordinator_cpu_ms_per_result: r3(
      ((end.coordinatorCpu - start.coordinatorCpu) * 1000) / Math.max(1, summary.computed - start.computed),
    ),
    first_tab_s: r1(times.first),
    startup_s: r1(start.t - times.t0),
    window_s: r1(window),
    seconds: r1(summary.seconds),
    backends,
    failed_tabs: summary.crashed,
    rejected: summary.rejected,
    errors: summary.errors,
    unflushed: summary.unflushed,
    orphans,
    exit_code: summary.exit_code,
    load_at_start: Math.round(load * 100) / 100,
  };
}

const pct = (share: number) => `${(share * 100).toFixed(0)}%`;

function printPoint(f: PointFigures): void {
  log(
    `${f.tabs} tab(s), quorum ${f.quorum}, ${f.results} results of ${segmentLabel} integers (load average ` +
      `${f.load_at_start} at start): first tab computing after ${f.first_tab_s} s, every tab after ` +
      `${f.startup_s} s; then ${f.window_s} s for the measured results`,
  );
  log(
    `  results/s        ${f.wu_per_s} computed (${f.wu_per_s_per_tab} per tab), ${f.validated_per_s} validated; ` +
      `${f.end_to_end_wu_per_s} counting start-up`,
  );
  log(
    `  duty cycle       mean ${f.duty_cycle_mean}, min ${f.duty_cycle_min} (compute ÷ wall, per tab); ` +
      `${f.compute_ms_per_wu} ms per work unit`,
  );
  log(
    `  memory (PSS)     ${f.rss_mb_per_tab} MB per tab, max ${f.rss_mb_max_tab}, total ${f.rss_mb_total} MB; per tab: ` +
      Object.entries(f.rss_mb_per_tab_by_kind)
        .map(([kind, mb]) => `${kind} ${mb}`)
        .join(', '),
  );
  log(
    `  CPU of ${CORES} cores   browsers ${pct(f.browser_cpu_share)}, coordinator ${pct(f.coordinator_cpu_share)} ` +
      `(${f.coordinator_cpu_ms_per_result} ms per result), this harness ${pct(f.harness_cpu_share)}, ` +
      `other work on the machine ${pct(f.other_cpu_share)}`,
  );
  log(`  browser threads  ${threadList(f.cpu_by_thread)}`);
  log(
    `  backends         ${Object.entries(f.backends)
      .map(([b, n]) => `${b} ×${n.tabs} (${n.computed_per_s} results/s, ${pct(n.cpu_share)} CPU)`)
      .join(', ')}; failed tabs ${f.failed_tabs}, rejected ${f.rejected}, errors ${f.errors}, ` +
      `unflushed ${f.unflushed}, ` +
      `orphan processes ${f.orphans}, farm exit code ${f.exit_code}`,
  );
}

/** A memory series over the soak's measured window, fitted by least squares. */
interface Fitted {
  readonly start_mb: number;
  readonly end_mb: number;
  readonly slope_mb_per_min: number;
  readonly slope_error_mb_per_min: number;
}

/** Fits each key of `samples` (seconds, MB by key) from `fromS` on. */
function fitByKey(samples: readonly [number, ReadonlyMap<string, number>][], fromS: number): Record<string, Fitted> {
  const keys = new Set(samples.flatMap(([, m]) => [...m.keys()]));
  const window = samples.filter(([t]) => t >= fromS);
  return Object.fromEntries(
    [...keys].map((key) => {
      const points: Series = window.map(([t, m]) => [t / 60, m.get(key) ?? 0]);
      const fitted: Fitted = {
        start_mb: r1(points[0]?.[1] ?? Number.NaN),
        end_mb: r1(points.at(-1)?.[1] ?? Number.NaN),
        slope_mb_per_min: r3(fitSlope(points)),
        slope_error_mb_per_min: r3(slopeError(points)),
      };
      return [key, fitted];
    }),
  );
}

export interface SoakFigures {
  readonly tabs: number;
  readonly seconds: number;
  readonly startup_s: number;
  readonly samples: number;
  readonly warmup_s: number;
  readonly pss_start_mb: number;
  readonly pss_end_mb: number;
  readonly pss_slope_mb_per_min: number;
  readonly pss_slope_mb_per_min_per_tab: number;
  /** The slope's standard error: a slope within about two of it from zero is no evidence of growth. */
  readonly pss_slope_error_mb_per_min: number;
  /** The same over the window's second half: growth into a bounded cache levels off, a leak does not. */
  readonly pss_slope_second_half_mb_per_min: number;
  readonly pss_slope_second_half_error_mb_per_min: number;
  /** Whether garbage was collected in every page before each sample (--soak-gc). */
  readonly collected_before_samples: boolean;
  /** How often the farm had each tab collect its garbage, in seconds (0: never). */
  readonly collect_every_s: number;
  /** The same by Chromium process type, all tabs together: which process grows. */
  readonly pss_by_kind: Readonly<Record<string, Fitted>>;
  /** By process type and what backs the memory (`renderer/anon`, `renderer/shmem`, `renderer/file`, …). */
  readonly pss_by_backing: Readonly<Record<string, Fitted>>;
  /**
   * V8's heaps, all tabs together, read without collecting garbage (unless --soak-gc): objects (`used`) and
   * the heap that holds them (`heap`), in the pages' main threads and in the workers the runtime computes in.
   */
  readonly v8_heaps: Readonly<Record<string, Fitted>>;
  readonly coordinator_rss_start_mb: number;
  readonly coordinator_rss_end_mb: number;
  readonly coordinator_rss_slope_mb_per_min: number;
  readonly wu_per_s: number;
  readonly browser_cpu_share: number;
  readonly coordinator_cpu_share: number;
  readonly harness_cpu_share: number;
  readonly other_cpu_share: number;
  readonly cpu_by_thread: Readonly<Record<string, number>>;
  /** Results/s over the first THREAD_WINDOW_S after the warm-up, and over the last: does throughput hold? */
  readonly wu_per_s_early: number;
  readonly wu_per_s_late: number;
  /** The same for CPU by thread: does a thread's cost grow? */
  readonly cpu_by_thread_early: Readonly<Record<string, number>>;
  readonly cpu_by_thread_late: Readonly<Record<string, number>>;
  readonly results: number;
  readonly failed_tabs: number;
  readonly rejected: number;
  readonly unflushed: number;
  readonly orphans: number;
  readonly exit_code: number;
  /** [seconds since every tab was computing, total browser PSS MB, coordinator RSS MB, results validated]. */
  readonly series: readonly (readonly [number, number, number, number])[];
}

const SOAK_SAMPLE_MS = 10_000;
/** Work units per top-up during the soak; one goes up whenever fewer than two are left unsent. */
const TOP_UP = 300;

async function soak(tabs: number, ms: number): Promise<SoakFigures> {
  const quorum = tabs === 1 ? 1 : 2;
  const grid = await Grid.start(segment, quorum);
  try {
    await grid.addWork(3 * TOP_UP);
    const t0 = performance.now() / 1000;
    // Set by the farm's callbacks and the top-up, read by the sampling loop.
    // `ready`: every tab is computing; the sampling loop then takes the first reading with fresh counts.
    const state: { ready: boolean; first: Reading | null; startValidated: number; validated: number } = {
      ready: false,
      first: null,
      startValidated: 0,
      validated: 0,
    };
    const farm = startFarm(farmOptions(grid, tabs), {
      message: (text) => warn(`  soak: ${text}`),
      tick: (all) => {
        state.ready ||= allComputing(all);
      },
    });
    const interrupt = () => farm.stop('signal');
    process.once('SIGINT', interrupt);
    let finished = false;
    void farm.done.finally(() => {
      finished = true;
    });
    const series: [number, number, number, number][] = [];
    const byKind: [number, ReadonlyMap<string, number>][] = [];
    const byBacking: [number, ReadonlyMap<string, number>][] = [];
    const v8: [number, ReadonlyMap<string, number>][] = [];
    // CPU by thread at each sample, to compare the soak's first minutes after warm-up with its last.
    const threadSeries: [number, ReadonlyMap<string, number>][] = [];
    let last: Reading | null = null;
    let topping: Promise<void> | null = null;
    let summary: FarmSummary;
    try {
      let next = performance.now();
      while (!finished) {
        // Every SOAK_SAMPLE_MS, or as soon as the last sample is done when it took longer than that.
        next = Math.max(next + SOAK_SAMPLE_MS, performance.now());
        await new Promise((resolve) => setTimeout(resolve, next - performance.now()));
        if (finished) break;
        // In the background, so that a slow upload never delays a sample.
        topping ??= topUp(grid, state)
          .catch((e: Error) => warn(`  soak: top-up failed: ${e.message}`))
          .finally(() => {
            topping = null;
          });
        if (state.first === null && state.ready) {
          state.validated = (await grid.counts()).validated;
          state.startValidated = state.validated;
          state.first = read(farm.tabs, grid, state.validated);
          log(
            `  every tab computing after ${(state.first.t - t0).toFixed(1)} s; warming up for ${soakWarmupS} s, then measuring ${ms / 60_000} min`,
          );
        }
        const first = state.first;
        if (first === null) continue;
        if (args['soak-gc']) await collectGarbage(farm.tabs);
        const v8Heaps = await readHeaps(farm.tabs);
        const procs = browserProcesses(farm.tabs.map((t) => t.profile));
        const { total: kinds, parts } = pssByKind(procs);
        const pss = [...kinds.values()].reduce((a, b) => a + b, 0);
        const rss = grid.rssBytes() / 2 ** 20;
        const t = performance.now() / 1000 - first.t;
        series.push([r1(t), r1(pss), r1(rss), (state.validated - state.startValidated) * quorum]);
        byKind.push([t, kinds]);
        byBacking.push([t, parts]);
        v8.push([t, v8Heaps]);
        threadSeries.push([t, threadCpu(procs)]);
        log(
          `  ${t.toFixed(0).padStart(4)} s  browsers ${pss.toFixed(0)} MB PSS, coordinator ${rss.toFixed(0)} MB, ` +
            `${(state.validated - state.startValidated) * quorum} results validated`,
        );
        if (t * 1000 >= soakWarmupS * 1000 + ms) {
          state.validated = (await grid.counts()).validated;
          last = read(farm.tabs, grid, state.validated);
          break;
        }
      }
    } finally {
      process.off('SIGINT', interrupt);
      farm.stop('duration');
      summary = await farm.done;
      await topping;
    }
    const orphans = survivors(join(grid.dir, 'profiles')).length;
    const first = state.first;
    if (first === null || last === null)
      throw new Error(`soak: the tabs never all computed, or stopped early (${summary.reason})`);
    const measured = last.t - first.t;
    const fitted = series.filter(([t]) => t >= soakWarmupS);
    const browsers: Series = fitted.map(([t, pss]) => [t / 60, pss]);
    const coordinator: Series = fitted.map(([t, , rss]) => [t / 60, rss]);
    const slope = fitSlope(browsers);
    const midpoint = ((browsers[0]?.[0] ?? 0) + (browsers.at(-1)?.[0] ?? 0)) / 2;
    const secondHalf = browsers.filter(([minute]) => minute >= midpoint);
    const validated = (last.validatedWUs - first.validatedWUs) * quorum;
    return {
      tabs,
      seconds: r1(measured),
      startup_s: r1(first.t - t0),
      samples: fitted.length,
      warmup_s: soakWarmupS,
      pss_start_mb: fitted[0]?.[1] ?? Number.NaN,
      pss_end_mb: fitted.at(-1)?.[1] ?? Number.NaN,
      pss_slope_mb_per_min: r3(slope),
      pss_slope_mb_per_min_per_tab: r3(slope / tabs),
      pss_slope_error_mb_per_min: r3(slopeError(browsers)),
      pss_slope_second_half_mb_per_min: r3(fitSlope(secondHalf)),
      pss_slope_second_half_error_mb_per_min: r3(slopeError(secondHalf)),
      collected_before_samples: args['soak-gc'],
      collect_every_s: collectEveryMs / 1000,
      pss_by_kind: fitByKey(byKind, soakWarmupS),
      pss_by_backing: fitByKey(byBacking, soakWarmupS),
      v8_heaps: fitByKey(v8, soakWarmupS),
      coordinator_rss_start_mb: fitted[0]?.[2] ?? Number.NaN,
      coordinator_rss_end_mb: fitted.at(-1)?.[2] ?? Number.NaN,
      coordinator_rss_slope_mb_per_min: r3(fitSlope(coordinator)),
      wu_per_s: r3(validated / measured),
      ...shares(first, last),
      wu_per_s_early: rateWindow(series, soakWarmupS, soakWarmupS + THREAD_WINDOW_S),
      wu_per_s_late: rateWindow(series, measured - THREAD_WINDOW_S, measured),
      cpu_by_thread_early: threadWindow(threadSeries, soakWarmupS, soakWarmupS + THREAD_WINDOW_S),
      cpu_by_thread_late: threadWindow(threadSeries, measured - THREAD_WINDOW_S, measured),
      results: validated,
      failed_tabs: summary.crashed,
      rejected: summary.rejected,
      unflushed: summary.unflushed,
      orphans,
      exit_code: summary.exit_code,
      series,
    };
  } finally {
    await grid.close();
  }
}

const THREAD_WINDOW_S = 120;

/** The sample whose time (its first element, in seconds) is nearest `t`; `series` must not be empty. */
const nearest = <S extends readonly [number, ...unknown[]]>(series: readonly S[], t: number): S =>
  series.reduce((best, s) => (Math.abs(s[0] - t) < Math.abs(best[0] - t) ? s : best));

/** Shares of the machine by thread between the samples nearest `from` and `to` seconds. */
function threadWindow(
  series: readonly [number, ReadonlyMap<string, number>][],
  from: number,
  to: number,
): Record<string, number> {
  if (series.length < 2) return {};
  const a = nearest(series, from);
  const b = nearest(series, to);
  return b[0] > a[0] ? topDeltas(a[1], b[1], (b[0] - a[0]) * CORES, 4) : {};
}

/** Results validated per second between the samples nearest `from` and `to` seconds. */
function rateWindow(series: readonly (readonly [number, number, number, number])[], from: number, to: number): number {
  if (series.length < 2) return Number.NaN;
  const a = nearest(series, from);
  const b = nearest(series, to);
  return b[0] > a[0] ? r3((b[3] - a[3]) / (b[0] - a[0])) : Number.NaN;
}

async function topUp(grid: Grid, state: { validated: number }): Promise<void> {
  const counts = await grid.counts();
  state.validated = counts.validated;
  if (counts.unsent < 2 * TOP_UP) await grid.addWork(TOP_UP);
}

const threadList = (shares: Readonly<Record<string, number>>) =>
  Object.entries(shares)
    .map(([key, share]) => `${key} ${pct(share)}`)
    .join(', ');

function printSoak(s: SoakFigures): void {
  log(
    `soak: ${s.tabs} tabs for ${s.seconds} s after ${s.startup_s} s of start-up, ${s.results} results validated` +
      (s.collected_before_samples ? '; garbage collected in every page before each sample' : '') +
      (s.collect_every_s > 0
        ? `; the farm has each tab collect every ${s.collect_every_s} s`
        : '; no periodic collection'),
  );
  log(
    `  browsers' PSS    ${s.pss_start_mb} → ${s.pss_end_mb} MB; slope ${s.pss_slope_mb_per_min} ± ` +
      `${s.pss_slope_error_mb_per_min} MB/min ` +
      `(${s.pss_slope_mb_per_min_per_tab} per tab; least squares over ${s.samples} samples after ${s.warmup_s} s); ` +
      `second half ${s.pss_slope_second_half_mb_per_min} ± ${s.pss_slope_second_half_error_mb_per_min} MB/min`,
  );
  log(
    `  by process type  ${Object.entries(s.pss_by_kind)
      .sort((a, b) => b[1].end_mb - a[1].end_mb)
      .map(
        ([kind, k]) =>
          `${kind} ${k.start_mb} → ${k.end_mb} MB (${k.slope_mb_per_min} ± ${k.slope_error_mb_per_min} MB/min)`,
      )
      .join(', ')}`,
  );
  const growing = Object.entries(s.pss_by_backing).filter(([, k]) => Math.abs(k.slope_mb_per_min) >= 0.2);
  log(
    `  by backing       ${
      growing
        .sort((a, b) => b[1].slope_mb_per_min - a[1].slope_mb_per_min)
        .map(
          ([key, k]) => `${key} ${k.start_mb} → ${k.end_mb} MB (${k.slope_mb_per_min} ± ${k.slope_error_mb_per_min})`,
        )
        .join(', ') || 'nothing moves by 0.2 MB/min or more'
    }`,
  );
  log(
    `  V8 heaps         ${Object.entries(s.v8_heaps)
      .map(
        ([key, k]) =>
          `${key} ${k.start_mb} → ${k.end_mb} MB (${k.slope_mb_per_min} ± ${k.slope_error_mb_per_min} MB/min)`,
      )
      .join(', ')}`,
  );
  log(
    `  coordinator RSS  ${s.coordinator_rss_start_mb} → ${s.coordinator_rss_end_mb} MB; slope ` +
      `${s.coordinator_rss_slope_mb_per_min} MB/min`,
  );
  log(
    `  ${s.wu_per_s} results/s; CPU of ${CORES} cores: browsers ${pct(s.browser_cpu_share)}, coordinator ` +
      `${pct(s.coordinator_cpu_share)}, this harness ${pct(s.harness_cpu_share)}, other work ` +
      `${pct(s.other_cpu_share)}; failed tabs ${s.failed_tabs}, rejected ${s.rejected}, unflushed ${s.unflushed}, orphan processes ` +
      `${s.orphans}, farm exit code ${s.exit_code}`,
  );
  log(`  browser threads  ${threadList(s.cpu_by_thread)}`);
  log(
    `    first ${THREAD_WINDOW_S} s after warm-up: ${s.wu_per_s_early} results/s; ${threadList(s.cpu_by_thread_early)}`,
  );
  log(`    last ${THREAD_WINDOW_S} s: ${s.wu_per_s_late} results/s; ${threadList(s.cpu_by_thread_late)}`);
}

log(
  `farm benchmark on ${CORES} cores: ${results} validated results of ${segmentLabel} integers per point ` +
    `(primes, quorum 2), tabs ${sweep.join(', ') || 'none'}${args.soak ? `; soak ${args.soak} × ${args['soak-tabs']} tabs` : ''}`,
);
const points: PointFigures[] = [];
for (const tabs of sweep) {
  log(`${tabs} tab(s):`);
  const f = await point(tabs);
  printPoint(f);
  points.push(f);
}
if (points.length > 1) {
  log('');
  log('tabs  results/s  per tab  duty mean/min  PSS/tab MB  browsers CPU  coordinator CPU  start-up s');
  for (const f of points)
    log(
      `${String(f.tabs).padStart(4)}  ${f.wu_per_s.toFixed(1).padStart(9)}  ${f.wu_per_s_per_tab.toFixed(2).padStart(7)}  ` +
        `${f.duty_cycle_mean.toFixed(2)}/${f.duty_cycle_min.toFixed(2).padEnd(8)}  ${f.rss_mb_per_tab.toFixed(0).padStart(10)}  ` +
        `${pct(f.browser_cpu_share).padStart(12)}  ${pct(f.coordinator_cpu_share).padStart(15)}  ${f.startup_s.toFixed(1).padStart(10)}`,
    );
}
let soaked: SoakFigures | null = null;
if (args.soak) {
  log('');
  log(`soak: ${args['soak-tabs']} tabs for ${args.soak}`);
  soaked = await soak(Number(args['soak-tabs']), duration(args.soak));
  printSoak(soaked);
}
if (args.json) console.log(JSON.stringify({ points, ...(soaked ? { soak: soaked } : {}) }));
