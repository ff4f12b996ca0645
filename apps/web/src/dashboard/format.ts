// Figures as a researcher reads them on the dashboard.
import type { WorkUnitCounts } from '@bricolage/protocol';

const whole = new Intl.NumberFormat('en');
const one = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

export const count = (n: number): string => whole.format(n);
export const at = (ms: number): string => when.format(ms);
export const total = (c: WorkUnitCounts): number => c.unsent + c.in_progress + c.validated + c.failed + c.cancelled;

export function bytes(n: number): string {
  if (n < 1024) return `${whole.format(n)} B`;
  if (n < 1024 ** 2) return `${one.format(n / 1024)} KiB`;
  if (n < 1024 ** 3) return `${one.format(n / 1024 ** 2)} MiB`;
  return `${one.format(n / 1024 ** 3)} GiB`;
}

export function perMinute(rate: number | null): string {
  if (rate === null) return '—';
  return `${rate >= 100 ? whole.format(Math.round(rate)) : one.format(rate)} / min`;
}

export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return 'under a second';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${whole.format(Math.round(h / 24))} days`;
}

export function percent(part: number, whole_: number): string {
  if (whole_ === 0) return '—';
  return `${one.format((part / whole_) * 100)} %`;
}
