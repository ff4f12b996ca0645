// A farm: N headless Chromium volunteers, each its own browser profile (so its own identity), each
// driving the real volunteer page exactly as a person would: open it, press Start.
import { join } from 'node:path';
import { BrowserTab } from './browser-tab';
import { dueForCollection } from './collection';
import { readGridStatus, unfinishedJobs } from './grid-status';
import { type ProcessUsage, allProcesses, treeUsage } from './procstats';
import type { TabSnapshot } from './snapshot';
import { type FarmSummary, type StopReason, summarize, sum } from './summary';
import { sinceStart, type Tab } from './tab';

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
