// A farm: N headless Chromium volunteers, each its own browser profile (so its own identity), each
// driving the real volunteer page exactly as a person would: open it, press Start.
import { join } from 'node:path';
import { BrowserTab } from './browser-tab';
import { dueForCollection } from './collection';
import { readGridStatus, type UnfinishedJob, unfinishedJobs } from './grid-status';
import { type ProcessUsage, allProcesses, treeUsage } from './procstats';
import type { TabSnapshot } from './snapshot';

export interface FarmOptions {
  readonly coordinator: string;
  readonly tabs: number;
  readonly chromium: string;
  /** Each tab's profile lives in `<profiles>/tab-<i>`, so it keeps its identity between runs. */
  readonly profiles: string;
  readonly durationMs?: number;
  /** Stop once this many of the farm's results have been validated by the coordinator. */
  readonly wus?: number;
  /** With `wus`: stop early when every live tab has had no work and nothing to deliver for this long. */
  readonly idleStopMs?: number;
  /** Duty cycle in percent, 10–100. */
  readonly throttle: number;
  readonly project?: string;
  /** Other coordinators each tab serves too, added through the page as its Other grids panel adds them. */
  readonly grids?: readonly string[];
  /** Give up when the coordinator has been unreachable this long. */
  readonly unreachableTimeoutMs: number;
  readonly pollMs: number;
  /** How long shutdown waits for each tab's outbox to drain. */
  readonly flushTimeoutMs: number;
  /**
   * How often each tab's page and workers collect their garbage, in ms; 0 never. Default DEFAULT_COLLECT_EVERY_MS.
   * V8 collects mostly when a page is idle and Linux sends Chromium no memory-pressure signal, so a tab that
   * computes without a pause on a busy machine otherwise holds garbage outside V8's heap (buffers, Blink
   * objects) for hours: its memory grows, then drops, long after (BENCHMARKS.md, farm soaks).
   */
  readonly collectEveryMs?: number;
}

/** Once a minute: a full collection of a tab's small heaps takes milliseconds. */
export const DEFAULT_COLLECT_EVERY_MS = 60_000;

export interface Tab {
  readonly index: number;
  readonly profile: string;
  /** The tab's browser, from launch until shutdown closes it. */
  browser: BrowserTab | null;
  /** The page is loaded and Start was pressed: from now on it is polled. */
  ready: boolean;
  /** The page's last snapshot, its coordinator counters counted from this run's start (see `baseline`). */
  snapshot: TabSnapshot | null;
  /**
   * The coordinator's lifetime counters for this tab's volunteer when the run began: a profile kept from an
   * earlier run brings its identity, and its counters, along.
   */
  baseline: Pick<TabSnapshot, 'validated' | 'rejected' | 'errors'> | null;
  crashed: boolean;
  error: string | null;
  usage: ProcessUsage | null;
  /** When the tab next collects its garbage (see `FarmOptions.collectEveryMs`); null before the first is due. */
  nextCollection: number | null;
  /** Garbage collections the tab has completed. */
  collections: number;
}

export type StopReason = 'duration' | 'wus' | 'no-work' | 'signal' | 'unreachable' | 'all-tabs-failed';

export interface TabSummary {
  readonly tab: number;
  readonly volunteer: string | null;
  readonly backend: string | null;
  readonly computed: number;
  readonly validated: number;
  readonly rejected: number;
  readonly errors: number;
  readonly pending: number;
  readonly dropped: number;
  readonly outbox: number;
  readonly wu_per_s: number;
  readonly duty_cycle: number | null;
  readonly crashed: boolean;
  readonly error: string | null;
  readonly cpu_s: number;
  readonly rss_mb: number;
}

export interface FarmSummary {
  readonly reason: StopReason;
  readonly seconds: number;
  readonly tabs: number;
  readonly computed: number;
  readonly validated: number;
  readonly rejected: number;
  readonly errors: number;
  readonly dropped: number;
  readonly pending: number;
  readonly unflushed: number;
  readonly crashed: number;
  readonly wu_per_s: number;
  readonly duty_cycle: number | null;
  readonly browser_cpu_s: number;
  readonly browser_cpu_share: number;
  readonly browser_rss_mb: number;
  readonly per_tab: readonly TabSummary[];
  /**
   * Read when the farm stopped for lack of work: the jobs that still had unfinished work units, with the
   * coordinator's diagnosis of why (null when it was not read, or could not be).
   */
  readonly unfinished_jobs: readonly UnfinishedJob[] | null;
  /** Each other grid: its counts over the tabs, each tab's from that grid's own counters for its key (lifetime). */
  readonly grids: readonly { readonly url: string; readonly validated: number; readonly receipts: number }[];
  readonly exit_code: number;
}

export interface FarmEvents {
  tabChanged?(tab: Tab, previous: TabSnapshot | null): void;
  tick?(tabs: readonly Tab[], elapsedMs: number): void;
  message?(text: string): void;
}

export interface Farm {
  readonly tabs: readonly Tab[];
  /** Resolves with the summary once the farm has stopped and every browser is closed. */
  readonly done: Promise<FarmSummary>;
  /** Ask the farm to stop (Ctrl-C): finish current work units, flush, close. */
  stop(reason?: StopReason): void;
}

export const EXIT = { ok: 0, failures: 1, usage: 2, unreachable: 3, noChromium: 4, stalled: 5 } as const;

export function startFarm(options: FarmOptions, events: FarmEvents = {}): Farm {
  const tabs: Tab[] = Array.from({ length: options.tabs }, (_, index) => ({
    index,
    profile: join(options.profiles, `tab-${index}`),
    browser: null,
    ready: false,
    snapshot: null,
    baseline: null,
    crashed: false,
    error: null,
    usage: null,
    nextCollection: null,
    collections: 0,
  }));
  let stopRequested: StopReason | null = null;
  let wake: () => void = () => undefined;
  const stop = (reason: StopReason = 'signal') => {
    stopRequested ??= reason;
    wake();
  };
  const done = run(
    options,
    tabs,
    events,
    () => stopRequested,
    (resolve) => {
      wake = resolve;
    },
  );
  return { tabs, done, stop };
}

async function run(
  options: FarmOptions,
  tabs: Tab[],
  events: FarmEvents,
  stopRequested: () => StopReason | null,
  onWake: (resolve: () => void) => void,
): Promise<FarmSummary> {
  const started = Date.now();
  const cpuBefore = new Map<number, number>();
  let reason: StopReason = 'signal';
  let unreachableSince: number | null = null;
  let idleSince: number | null = null;
  // Tabs open in the background: a slow one (calibrating on a busy machine) must not hold up watching the others.
  const opening = Promise.all(
    tabs.map(async (tab) => {
      await openTab(options, tab, events);
      cpuBefore.set(tab.index, usageOf(tab).cpuSeconds);
    }),
  );
  try {
    for (;;) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        onWake(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await poll(tabs, events);
      collectDue(tabs, options.collectEveryMs ?? DEFAULT_COLLECT_EVERY_MS);
      const elapsed = Date.now() - started;
      events.tick?.(tabs, elapsed);
      const live = tabs.filter((t) => !t.crashed && !t.error);
      const snaps = live.map((t) => t.snapshot).filter((s): s is TabSnapshot => s !== null);
      const requested = stopRequested();
      if (requested) {
        reason = requested;
        break;
      }
      if (live.length === 0) {
        reason = 'all-tabs-failed';
        break;
      }
      if (options.durationMs !== undefined && elapsed >= options.durationMs) {
        reason = 'duration';
        break;
      }
      // A crashed tab's results still count as far as it saw them validated.
      if (options.wus !== undefined && sum(tabs, (t) => t.snapshot?.validated ?? 0) >= options.wus) {
        reason = 'wus';
        break;
      }
      const idle = snaps.length === live.length && snaps.every((s) => s.phase === 'waiting' && s.outbox === 0);
      idleSince = idle ? (idleSince ?? Date.now()) : null;
      if (options.wus !== undefined && idleSince !== null && Date.now() - idleSince > (options.idleStopMs ?? 30_000)) {
        reason = 'no-work';
        break;
      }
      const unreachable = snaps.length > 0 && snaps.every((s) => !s.reachable);
      unreachableSince = unreachable ? (unreachableSince ?? Date.now()) : null;
      if (unreachableSince !== null && Date.now() - unreachableSince > options.unreachableTimeoutMs) {
        reason = 'unreachable';
        break;
      }
    }
    await opening;
  } finally {
    await shutdown(options, tabs, events);
  }
  // No work for the farm while the grid has work left is a problem someone must fix: say which, and why.
  const status = reason === 'no-work' ? await readGridStatus(options.coordinator, options.project) : null;
  const unfinished = status ? unfinishedJobs(status) : null;
  return summarize(options, tabs, reason, (Date.now() - started) / 1000, cpuBefore, unfinished);
}

async function openTab(options: FarmOptions, tab: Tab, events: FarmEvents): Promise<void> {
  try {
    const browser = await BrowserTab.launch({
      chromium: options.chromium,
      profile: tab.profile,
      onLost: (why) => {
        tab.crashed = true;
        tab.error = why === 'crashed' ? 'page crashed' : 'browser exited';
        events.message?.(`tab ${tab.index}: ${tab.error}`);
      },
    });
    tab.browser = browser;
    const url = new URL(options.coordinator);
    if (options.project) url.searchParams.set('project', options.project);
    await browser.navigate(url.toString());
    await browser.waitFor(() => window.bricolagePage !== undefined, null, 30_000);
    await browser.evaluate((t) => window.bricolagePage?.setThrottle(t), options.throttle);
    for (const grid of options.grids ?? []) {
      // The page adds grids once its store is open (after it leaves `loading`).
      await browser.waitFor(() => window.bricolagePage?.snapshot().then((s) => s.phase !== 'loading'), null, 30_000);
      if (!(await browser.evaluate((url) => window.bricolagePage?.addGrid(url) ?? false, grid)))
        throw new Error(`the page would not add the grid ${grid}`);
    }
    await pressStart(browser);
    tab.ready = true;
  } catch (e) {
    if (!tab.crashed) {
      tab.error = `could not start: ${(e as Error).message.split('\n')[0]}`;
      events.message?.(`tab ${tab.index}: ${tab.error}`);
    }
  }
}

const phaseOf = () => window.bricolagePage?.snapshot().then((s) => s.phase) ?? 'loading';

/** Presses Start as a person would, once the page shows it, and waits until the page has taken it. */
async function pressStart(browser: BrowserTab): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const phase = await browser.evaluate(phaseOf, null);
    if (phase === 'failed') throw new Error('the page failed to start (see its notices)');
    if (phase !== 'idle' && phase !== 'loading') return;
    if (phase === 'idle' && (await browser.clickButton('Start'))) {
      for (let i = 0; i < 50; i++) {
        if ((await browser.evaluate(phaseOf, null)) !== 'idle') return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the page did not start computing within 60 s');
}

const snapshotOf = () => window.bricolagePage?.snapshot() ?? null;

async function poll(tabs: readonly Tab[], events: FarmEvents): Promise<void> {
  await Promise.all(
    tabs.map(async (tab) => {
      if (!tab.browser || !tab.ready || tab.crashed || tab.error) return;
      try {
        const next = sinceStart(tab, await tab.browser.evaluate(snapshotOf, null));
        const previous = tab.snapshot;
        tab.snapshot = next;
        if (next && (previous?.phase !== next.phase || previous?.backend !== next.backend))
          events.tabChanged?.(tab, previous);
      } catch (e) {
        if (!tab.crashed) {
          tab.error = `lost the page: ${(e as Error).message.split('\n')[0]}`;
          events.message?.(`tab ${tab.index}: ${tab.error}`);
        }
      }
    }),
  );
  const procs = allProcesses();
  for (const tab of tabs) tab.usage = treeUsage(tab.profile, procs);
}

/** Has each live tab whose collection is due collect its garbage, in the background. */
function collectDue(tabs: readonly Tab[], everyMs: number): void {
  const live = tabs.filter((t) => t.browser && t.ready && !t.crashed && !t.error);
  for (const tab of dueForCollection(live, tabs.length, everyMs, Date.now())) {
    // A page lost meanwhile is the poll's to report.
    tab.browser?.collectGarbage().then(
      () => tab.collections++,
      () => undefined,
    );
  }
}

/** Waits until the page has stopped computing (its last work unit done), for at most `timeoutMs`. */
async function untilStopped(browser: BrowserTab, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const phase = await browser.evaluate(phaseOf, null);
    if (phase !== 'stopping' && phase !== 'computing' && phase !== 'waiting' && phase !== 'paused') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The snapshot with the coordinator's counters counted from this run's start: from what the page read just
 * before it first computed, or, when it could not read them then, from the first time they were read.
 */
function sinceStart(tab: Tab, snapshot: TabSnapshot | null): TabSnapshot | null {
  if (!snapshot) return null;
  if (!snapshot.counted) return { ...snapshot, validated: 0, rejected: 0, errors: 0 };
  tab.baseline ??= snapshot.countedAtStart ?? {
    validated: snapshot.validated,
    rejected: snapshot.rejected,
    errors: snapshot.errors,
  };
  const b = tab.baseline;
  return {
    ...snapshot,
    validated: snapshot.validated - b.validated,
    rejected: snapshot.rejected - b.rejected,
    errors: snapshot.errors - b.errors,
  };
}

async function shutdown(options: FarmOptions, tabs: readonly Tab[], events: FarmEvents): Promise<void> {
  await Promise.all(
    tabs.map(async (tab) => {
      const browser = tab.browser;
      try {
        if (browser && tab.ready && !tab.crashed && !tab.error) {
          // Stop lets the work unit in hand finish; its result is flushed with the rest once it has.
          if (await browser.clickButton('Stop')) await untilStopped(browser, options.flushTimeoutMs);
          const flushed = await browser.evaluate(
            (ms) => window.bricolagePage?.flush(ms) ?? true,
            options.flushTimeoutMs,
          );
          if (!flushed) events.message?.(`tab ${tab.index}: outbox not empty after ${options.flushTimeoutMs} ms`);
          tab.snapshot = sinceStart(tab, await browser.evaluate(snapshotOf, null)) ?? tab.snapshot;
        }
      } catch (e) {
        events.message?.(`tab ${tab.index}: shutdown: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        tab.usage = usageOf(tab);
        await browser?.close().catch((e: Error) => events.message?.(`tab ${tab.index}: close: ${e.message}`));
        tab.browser = null;
      }
    }),
  );
}

const usageOf = (tab: Tab): ProcessUsage => treeUsage(tab.profile);

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);

function summarize(
  options: FarmOptions,
  tabs: readonly Tab[],
  reason: StopReason,
  seconds: number,
  cpuBefore: ReadonlyMap<number, number>,
  unfinished: readonly UnfinishedJob[] | null,
): FarmSummary {
  const perTab: TabSummary[] = tabs.map((t) => {
    const s = t.snapshot;
    const cpu = Math.max(0, (t.usage?.cpuSeconds ?? 0) - (cpuBefore.get(t.index) ?? 0));
    return {
      tab: t.index,
      volunteer: s?.volunteer ?? null,
      backend: s?.backend ?? null,
      computed: s?.computed ?? 0,
      validated: s?.validated ?? 0,
      rejected: s?.rejected ?? 0,
      errors: s?.failed ?? 0,
      pending: s?.pending ?? 0,
      dropped: s?.dropped ?? 0,
      outbox: s?.outbox ?? 0,
      wu_per_s: (s?.computed ?? 0) / Math.max(seconds, 1e-3),
      duty_cycle: s?.dutyCycle ?? null,
      crashed: t.crashed,
      error: t.error,
      cpu_s: round(cpu),
      rss_mb: round((t.usage?.rssBytes ?? 0) / 2 ** 20),
    };
  });
  const duties = perTab.map((t) => t.duty_cycle).filter((d): d is number => d !== null);
  const crashed = perTab.filter((t) => t.crashed || t.error).length;
  const rejected = sum(perTab, (t) => t.rejected);
  const dropped = sum(perTab, (t) => t.dropped);
  const cpu = sum(perTab, (t) => t.cpu_s);
  const exit =
    reason === 'unreachable'
      ? EXIT.unreachable
      : crashed > 0 || rejected > 0 || dropped > 0
        ? EXIT.failures
        : unfinished && unfinished.length > 0
          ? EXIT.stalled
          : EXIT.ok;
  return {
    reason,
    seconds: round(seconds),
    tabs: options.tabs,
    computed: sum(perTab, (t) => t.computed),
    validated: sum(perTab, (t) => t.validated),
    rejected,
    errors: sum(perTab, (t) => t.errors),
    dropped,
    pending: sum(perTab, (t) => t.pending),
    unflushed: sum(perTab, (t) => t.outbox),
    crashed,
    wu_per_s: round(sum(perTab, (t) => t.computed) / Math.max(seconds, 1e-3)),
    duty_cycle: duties.length ? round(duties.reduce((a, b) => a + b, 0) / duties.length) : null,
    browser_cpu_s: round(cpu),
    browser_cpu_share: round(cpu / Math.max(seconds, 1e-3)),
    browser_rss_mb: round(sum(perTab, (t) => t.rss_mb)),
    per_tab: perTab,
    unfinished_jobs: unfinished,
    grids: (options.grids ?? []).map((url) => {
      const own = tabs.flatMap((t) => t.snapshot?.grids?.filter((g) => g.url === new URL(url).origin) ?? []);
      return {
        url: new URL(url).origin,
        validated: sum(own, (g) => g.validated),
        receipts: sum(own, (g) => g.receipts),
      };
    }),
    exit_code: exit,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
