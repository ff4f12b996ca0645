// Duty-cycle arithmetic: a volunteer's throttle is the fraction of wall time spent computing, kept by
// resting after each work unit in proportion to the time it took.

/**
 * The least duty cycle a pipeline keeps. The volunteer's own setting stops at 10 % (the page, the widget and the
 * farm refuse less); a pipeline goes lower when that throttle is split between several grids in one tab
 * (`dutyShares`): at a 10 % floor per pipeline, three grids at a 10 % throttle computed 30 % of a core between them.
 */
export const MIN_DUTY = 0.01;
export const MAX_DUTY = 1;

/** A duty cycle in [0.01, 1]; accepts a fraction (up to 1) or a percentage (above 1, up to 100). */
export function clampDuty(value: number): number {
  if (!Number.isFinite(value)) return MAX_DUTY;
  const fraction = value > 1 ? value / 100 : value;
  return Math.min(MAX_DUTY, Math.max(MIN_DUTY, fraction));
}

/** Rest after `computeMs` of work so that compute ÷ (compute + rest) equals the duty cycle. */
export function restAfter(computeMs: number, duty: number): number {
  const d = clampDuty(duty);
  return computeMs <= 0 ? 0 : (computeMs * (1 - d)) / d;
}

interface Span {
  readonly start: number;
  readonly end: number;
}

/** The length of the union of the spans: units in flight at once overlap, and count once. */
function busyTime(spans: readonly Span[]): number {
  let busy = 0;
  let until = Number.NEGATIVE_INFINITY;
  for (const { start, end } of [...spans].sort((a, b) => a.start - b.start)) {
    busy += Math.max(0, end - Math.max(start, until));
    until = Math.max(until, end);
  }
  return busy;
}

/**
 * Measured compute rate over the last `window` work units: duty cycle (compute ÷ wall time) and work
 * units per second. The wall time runs from the first counted start to now, but never less than the
 * counted cycles extrapolated by one (so a measurement taken right after a work unit does not miss that
 * unit's rest), and grows with an ongoing pause.
 */
export class DutyMeter {
  readonly #spans: Span[] = [];
  readonly #window: number;

  constructor(window = 8) {
    this.#window = Math.max(1, window);
  }

  record(start: number, end: number): void {
    this.#spans.push({ start, end });
    if (this.#spans.length > this.#window) this.#spans.shift();
  }

  reset(): void {
    this.#spans.length = 0;
  }

  #wall(now: number): number {
    const first = this.#spans[0]!;
    const last = this.#spans.at(-1)!;
    const n = this.#spans.length;
    const cycles = n > 1 ? ((last.start - first.start) * n) / (n - 1) : 0;
    return Math.max(now - first.start, last.end - first.start, cycles);
  }

  /** Compute time ÷ wall time, or null before any work unit. */
  dutyCycle(now: number): number | null {
    if (this.#spans.length === 0) return null;
    const wall = this.#wall(now);
    if (wall <= 0) return null;
    return Math.min(1, busyTime(this.#spans) / wall);
  }

  /** Work units per second, or null before any work unit. */
  rate(now: number): number | null {
    if (this.#spans.length === 0) return null;
    const wall = this.#wall(now);
    return wall > 0 ? (this.#spans.length * 1000) / wall : null;
  }
}
