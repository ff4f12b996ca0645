// The times of a job's most recent units, as many as make up WINDOW_MS of work (at most MAX_UNITS): their mean is
// the time per unit over about as long as the lease it sizes, not over the last few units.

/** Compute time the window spans: the coordinator's lease target (rules/lease-size.ts, 30 s). */
export const WINDOW_MS = 30_000;
/** Units kept at most, for fast units (4,096 cnn units are ~1 s of a core's work). */
export const MAX_UNITS = 4096;

export class UnitWindow {
  #times: number[] = [];
  #head = 0;
  #sum = 0;

  add(ms: number): void {
    this.#times.push(ms);
    this.#sum += ms;
    // Keep the units whose times, without the oldest, still make up the window.
    while (this.#size() > MAX_UNITS || (this.#size() > 1 && this.#sum - this.#times[this.#head]! >= WINDOW_MS))
      this.#sum -= this.#times[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Mean time per unit in the window, or null when it is empty. */
  mean(): number | null {
    const n = this.#size();
    return n > 0 ? Math.max(0, this.#sum) / n : null;
  }

  #size(): number {
    return this.#times.length - this.#head;
  }
}
