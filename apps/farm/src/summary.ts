// What a farm run did, tab by tab and in total (`--json` prints it), and the exit code it ends with.
import type { UnfinishedJob } from './grid-status';
import type { Tab } from './tab';

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

export const EXIT = { ok: 0, failures: 1, usage: 2, unreachable: 3, noChromium: 4, stalled: 5 } as const;

export const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);

export function summarize(
  options: { readonly tabs: number; readonly grids?: readonly string[] },
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
