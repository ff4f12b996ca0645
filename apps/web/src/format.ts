// Numbers and times as a person reads them. The formatters are made once: `toLocaleString` with options
// builds a new Intl formatter on every call, which made rendering 50 receipt rows cost milliseconds.

const credits = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
const rates = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const wholeRates = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const times = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const shortKey = (key: string): string => `${key.slice(0, 6)}…${key.slice(-4)}`;

export function formatCredit(credit: number): string {
  return credits.format(credit);
}

export function formatRate(perMinute: number | null): string {
  return perMinute === null ? '—' : `${formatPerMinute(perMinute)} WU/min`;
}

/** A rate's number alone, for a column headed with its unit. */
export function formatPerMinute(perMinute: number): string {
  return perMinute >= 100 ? wholeRates.format(Math.round(perMinute)) : rates.format(perMinute);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatTime(at: number): string {
  return times.format(at);
}

/** Offers `text` as a file download, without leaving the page. */
export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
