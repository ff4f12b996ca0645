// The bytes of inputs one lease answer carries inline (StepLimits.inlineLeaseBytes): units whose input travels in
// the answer go while they fit, the first of them always (an input near the inline limit still goes alone);
// units whose input is too large to travel inline (fetched by hash) cost the answer nothing.

export class InlineBudget {
  #left: number;
  #carried = 0;

  constructor(bytes: number) {
    this.#left = bytes;
  }

  /** Whether a unit whose inline input is `size` bytes (null: not inline) still fits in the answer. */
  fits(size: number | null): boolean {
    return size === null || size <= this.#left || this.#carried === 0;
  }

  carry(size: number | null): void {
    if (size !== null) this.#left -= size;
    this.#carried++;
  }

  /** How many of these units, in order, fit one after another: carried by a copy, this budget untouched. */
  fitting(sizes: readonly (number | null)[]): number {
    const trial = new InlineBudget(this.#left);
    trial.#carried = this.#carried;
    for (const [i, size] of sizes.entries()) {
      if (!trial.fits(size)) return i;
      trial.carry(size);
    }
    return sizes.length;
  }
}
