// The simulation's figures as a table for people and one JSON line for scripts.
import type { RunResult } from './engine';

const rate = (r: RunResult): string => {
  if (r.validated === 0) return '–';
  // None seen among n: the 95 % upper bound is about 3 / n (the rule of three).
  if (r.wrong === 0) return `0 (< ${(3 / r.validated).toExponential(0)})`;
  return r.accepted_error_rate.toExponential(1);
};

export function table(results: readonly RunResult[]): string {
  const rows = results.map((r) => [
    r.scenario,
    r.policy,
    r.grid === 'model' ? 'model' : 'coordinator',
    rate(r),
    Number.isFinite(r.results_per_validated) ? r.results_per_validated.toFixed(2) : '–',
    `${((100 * r.failed) / r.units).toFixed(1)} %`,
    r.minutes === null ? `stalled, ${r.units - r.validated - r.failed} left` : `${r.minutes} min`,
    [
      r.corrected ? `${r.corrected} corrected by re-checks` : '',
      r.newcomer_served === null ? '' : r.newcomer_served ? 'newcomer served' : 'newcomer got nothing',
      r.attacker_keys ? `${r.attacker_keys.joined}/${r.attacker_keys.tried} attacker keys in` : '',
    ]
      .filter((s) => s !== '')
      .join('; '),
  ]);
  const head = ['scenario', 'policy', 'ran on', 'accepted errors', 'results/validated', 'failed', 'finished in', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export function jsonLine(results: readonly RunResult[]): string {
  return JSON.stringify({
    scenarios: results.map((r) => ({
      scenario: r.scenario,
      policy: r.policy,
      grid: r.grid,
      accepted_error_rate: r.accepted_error_rate,
      results_per_validated: Number.isFinite(r.results_per_validated) ? r.results_per_validated : null,
      units: r.units,
      validated: r.validated,
      wrong: r.wrong,
      failed: r.failed,
      minutes: r.minutes,
      ...(r.corrected === null ? {} : { corrected: r.corrected }),
      ...(r.newcomer_served === null ? {} : { newcomer_served: r.newcomer_served }),
    })),
  });
}
