// The farm benchmark's soak: one farm for a long while, its browsers' memory (by process type, by what backs
// it, V8's heaps) and the coordinator's sampled throughout and fitted, to show whether any of it grows.
import { join } from 'node:path';
import { type FarmSummary, startFarm, survivors } from '@bricolage/farm';
import { browserProcesses, pssByKind, threadCpu, topDeltas } from './breakdown';
import { Grid } from './grid';
import type { FarmBench } from './options';
import { CORES, type Reading, pct, r1, r3, read, shares, threadList } from './readings';
import { type Series, fitSlope, slopeError } from './stats';
import { allComputing, collectGarbage, readHeaps } from './tabs';

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

/** The soak: a farm of `tabs` tabs for `ms` after its warm-up, its memory sampled every SOAK_SAMPLE_MS. */
export async function soak(bench: FarmBench, tabs: number, ms: number): Promise<SoakFigures> {
  const { args, segment, farmOptions, log, warn, soakWarmupS, collectEveryMs } = bench;
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

export function printSoak(bench: FarmBench, s: SoakFigures): void {
  const { log } = bench;
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
