// Overall progress for the farm's live display: how far the farm's own target (--wus) or the grid's work has
// got, the rate over the last minute, and when it will be done at that rate. Pure: samples in, figures out.
import type { ProjectStatus } from '@bricolage/protocol';
import { readGridStatus } from './grid-status';

export interface Sample {
  /** ms, any clock that only moves forward. */
  readonly at: number;
  readonly done: number;
}

export interface Overall {
  readonly done: number;
  readonly target: number;
  /** Per minute over the last `windowMs`; null until two samples a second apart. */
  readonly perMinute: number | null;
  /** ms until `target` at that rate; 0 when reached, null without a rate. */
  readonly etaMs: number | null;
}

/** Samples of one quantity; keeps only what the rate window needs. */
export class ProgressMeter {
  readonly #windowMs: number;
  #samples: Sample[] = [];

  constructor(windowMs = 60_000) {
    this.#windowMs = windowMs;
  }

  add(sample: Sample): void {
    const last = this.#samples.at(-1);
    if (last && sample.at < last.at) return;
    this.#samples.push(sample);
    // Keep one sample at or before the window's start, so the rate always spans the whole window.
    while (this.#samples.length > 2 && (this.#samples[1] as Sample).at <= sample.at - this.#windowMs)
      this.#samples.shift();
  }

  overall(target: number): Overall | null {
    const last = this.#samples.at(-1);
    const first = this.#samples[0];
    if (!last || !first) return null;
    const span = last.at - first.at;
    const perMinute = span >= 1000 ? ((last.done - first.done) / span) * 60_000 : null;
    const left = Math.max(0, target - last.done);
    const etaMs = left === 0 ? 0 : perMinute ? (left / perMinute) * 60_000 : null;
    return { done: last.done, target, perMinute, etaMs };
  }
}

/** The grid's work units finished (validated or failed) and in all, cancelled ones left out. */
export function gridTotals(statuses: readonly ProjectStatus[]): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const { jobs } of statuses)
    for (const { counts: c } of jobs) {
      done += c.validated + c.failed;
      total += c.validated + c.failed + c.unsent + c.in_progress;
    }
  return { done, total };
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  return `${(m / 60).toFixed(1)} h`;
}

/** `1,234/4,800 work units finished (25.7%)  38.2/min  ETA 93 min`. */
export function describeOverall(o: Overall, what: string): string {
  const percent = o.target > 0 ? ` (${((100 * o.done) / o.target).toFixed(1)}%)` : '';
  const rate = o.perMinute === null ? '-/min' : `${o.perMinute.toFixed(1)}/min`;
  const eta = o.etaMs === 0 ? 'done' : o.etaMs === null ? 'ETA -' : `ETA ${duration(o.etaMs)}`;
  return `${o.done.toLocaleString('en')}/${o.target.toLocaleString('en')} ${what}${percent}  ${rate}  ${eta}`;
}

/**
 * The grid's progress, read from the coordinator's public project status every `everyMs` (the farm's own
 * counts say nothing of other volunteers): what the live display shows as the grid's line.
 */
export class GridWatch {
  readonly #meter = new ProgressMeter();
  #total: number | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly coordinator: string,
    private readonly project: string | undefined,
    private readonly everyMs = 10_000,
  ) {}

  start(): void {
    const read = async () => {
      const statuses = await readGridStatus(this.coordinator, this.project);
      if (!statuses) return;
      const { done, total } = gridTotals(statuses);
      this.#total = total;
      this.#meter.add({ at: Date.now(), done });
    };
    void read();
    this.#timer = setInterval(() => void read(), this.everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  overall(): Overall | null {
    return this.#total === null ? null : this.#meter.overall(this.#total);
  }
}
