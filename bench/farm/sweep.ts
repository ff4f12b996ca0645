// The farm benchmark's sweep: farms of growing size, each against a fresh child coordinator (so that its CPU is
// its own) given a fixed amount of primes work once every tab is up, measured until that much is validated.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type FarmSummary, startFarm, survivors } from '@bricolage/farm';
import { browserProcesses, pssByKind } from './breakdown';
import { Grid } from './grid';
import { type FarmBench, duration } from './options';
import { CORES, type Reading, type TabReading, pct, r1, r3, read, shares, threadList } from './readings';
import { mean } from './stats';
import { allComputing } from './tabs';

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

/** One point of the sweep: a farm of `tabs` tabs on a fresh grid, measured over `results` validated results. */
export async function point(bench: FarmBench, tabs: number): Promise<PointFigures> {
  const { args, segment, results, farmOptions, log, warn } = bench;
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
      bench,
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
  bench: FarmBench,
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
  const { results, segment, warn } = bench;
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

export function printPoint(bench: FarmBench, f: PointFigures): void {
  const { log, segmentLabel } = bench;
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

/** The points side by side. */
export function printTable(bench: FarmBench, points: readonly PointFigures[]): void {
  const { log } = bench;
  log('');
  log('tabs  results/s  per tab  duty mean/min  PSS/tab MB  browsers CPU  coordinator CPU  start-up s');
  for (const f of points)
    log(
      `${String(f.tabs).padStart(4)}  ${f.wu_per_s.toFixed(1).padStart(9)}  ${f.wu_per_s_per_tab.toFixed(2).padStart(7)}  ` +
        `${f.duty_cycle_mean.toFixed(2)}/${f.duty_cycle_min.toFixed(2).padEnd(8)}  ${f.rss_mb_per_tab.toFixed(0).padStart(10)}  ` +
        `${pct(f.browser_cpu_share).padStart(12)}  ${pct(f.coordinator_cpu_share).padStart(15)}  ${f.startup_s.toFixed(1).padStart(10)}`,
    );
}
