// What the farm prints while it runs: a live table on a terminal, one line per event otherwise.
import type { FarmEvents } from './farm';
import type { FarmSummary } from './summary';
import type { Tab } from './tab';
import { describeUnfinished } from './grid-status';
import { describeOverall, type GridWatch, ProgressMeter } from './progress';

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const num = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '-' : n.toFixed(digits));

function tabLine(tab: Tab): string {
  const s = tab.snapshot;
  const state = tab.crashed ? 'CRASHED' : tab.error ? 'FAILED' : (s?.phase ?? 'opening');
  return `tab ${pad(String(tab.index), 3)} ${pad(state, 10)} ${pad(s?.backend ?? '-', 8)} done ${pad(num(s?.computed), 6)} valid ${pad(num(s?.validated), 6)} rejected ${pad(num(s?.rejected), 4)} ${num(s?.wuPerSecond, 2)} WU/s`;
}

function bar(done: number, total: number, width = 30): string {
  const filled = Math.min(width, Math.round((done / Math.max(total, 1)) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * The overall lines: the farm's validated results against its --wus target, and the grid's finished work
 * units against all it has (from `grid`), each with its rate over the last minute and an ETA at that rate.
 */
function overallLines(tabs: readonly Tab[], wus: number | undefined, farm: ProgressMeter, grid: GridWatch | null) {
  const lines: string[] = [];
  if (wus !== undefined) {
    farm.add({ at: Date.now(), done: tabs.reduce((n, t) => n + (t.snapshot?.validated ?? 0), 0) });
    const o = farm.overall(wus);
    if (o) lines.push(`farm       ${bar(o.done, o.target)} ${describeOverall(o, 'validated (--wus)')}`);
  }
  const g = grid?.overall();
  if (g) lines.push(`grid       ${bar(g.done, g.target)} ${describeOverall(g, 'work units finished')}`);
  return lines;
}

export function terminalDisplay(
  out: NodeJS.WriteStream,
  wus: number | undefined,
  grid: GridWatch | null = null,
): FarmEvents {
  let drawn = 0;
  const farm = new ProgressMeter();
  return {
    tick(tabs, elapsedMs) {
      const validated = tabs.reduce((n, t) => n + (t.snapshot?.validated ?? 0), 0);
      const computed = tabs.reduce((n, t) => n + (t.snapshot?.computed ?? 0), 0);
      const lines = tabs.map(tabLine);
      lines.push(
        `total      ${(elapsedMs / 1000).toFixed(0)} s  computed ${computed}  validated ${validated}  ${(computed / Math.max(elapsedMs / 1000, 1e-3)).toFixed(2)} WU/s`,
        ...overallLines(tabs, wus, farm, grid),
      );
      if (drawn > 0) out.write(`\x1b[${drawn}A`);
      for (const l of lines) out.write(`\x1b[2K${l}\n`);
      drawn = lines.length;
    },
    message(text) {
      if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`);
      drawn = 0;
      out.write(`${text}\n`);
    },
  };
}

export function lineDisplay(
  out: NodeJS.WritableStream,
  wus: number | undefined = undefined,
  grid: GridWatch | null = null,
): FarmEvents {
  let lastTotal = 0;
  const farm = new ProgressMeter();
  return {
    tabChanged(tab) {
      out.write(`${new Date().toISOString()} ${tabLine(tab)}\n`);
    },
    tick(tabs, elapsedMs) {
      const overall = overallLines(tabs, wus, farm, grid);
      if (elapsedMs - lastTotal < 10_000) return;
      lastTotal = elapsedMs;
      const validated = tabs.reduce((n, t) => n + (t.snapshot?.validated ?? 0), 0);
      const computed = tabs.reduce((n, t) => n + (t.snapshot?.computed ?? 0), 0);
      out.write(`${new Date().toISOString()} total computed ${computed} validated ${validated}\n`);
      for (const l of overall) out.write(`${new Date().toISOString()} ${l.replace(/ \[[#.]*\]/, '')}\n`);
    },
    message(text) {
      out.write(`${new Date().toISOString()} ${text}\n`);
    },
  };
}

export function humanSummary(s: FarmSummary): string {
  const lines = [
    `Stopped (${s.reason}) after ${s.seconds.toFixed(1)} s with ${s.tabs} tab(s).`,
    `  computed ${s.computed}, validated ${s.validated}, rejected ${s.rejected}, errors ${s.errors}, dropped ${s.dropped}, pending ${s.pending}, unflushed ${s.unflushed}`,
    `  ${s.wu_per_s.toFixed(2)} WU/s overall, duty cycle ${s.duty_cycle === null ? '-' : s.duty_cycle.toFixed(2)}`,
    `  browsers: ${s.browser_cpu_s.toFixed(1)} CPU s (${(s.browser_cpu_share * 100).toFixed(0)}% of one core), ${s.browser_rss_mb.toFixed(0)} MB resident`,
  ];
  for (const t of s.per_tab)
    lines.push(
      `  tab ${t.tab}: ${t.crashed ? 'CRASHED ' : t.error ? `FAILED (${t.error}) ` : ''}${t.backend ?? '-'} computed ${t.computed} validated ${t.validated} rejected ${t.rejected} ${t.wu_per_s.toFixed(2)} WU/s ${t.rss_mb.toFixed(0)} MB`,
    );
  for (const g of s.grids) lines.push(`  grid ${g.url}: validated ${g.validated}, ${g.receipts} verified receipts`);
  if (s.unfinished_jobs && s.unfinished_jobs.length > 0) lines.push(...describeUnfinished(s.unfinished_jobs));
  return lines.join('\n');
}
