// What a pause does to the units leased ahead: a short one (a glance at another tab) keeps them; one that lasts
// gives them back, since nothing renews them while paused and they would only expire unused at their deadlines
// (a tab left hidden sat on up to 30 s of work each lease while others were told there was none).

/** How long a pause keeps the units leased ahead before giving them back. */
export const PAUSED_HOLD_MS = 15_000;

export class PauseHold {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #gaveBack = false;

  constructor(
    private readonly ms: number,
    /** Called once the pause has lasted `ms`, unless `end` came first. */
    private readonly giveBack: () => void,
  ) {}

  /** A pause begins (or goes on: its hold runs from the first `begin`). */
  begin(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.#gaveBack = true;
      this.giveBack();
    }, this.ms);
  }

  /**
   * Whether this pause has given back what was held: leases that arrive now (a request sent before the pause,
   * answered late) go back too, rather than sit unrenewed for the rest of it.
   */
  get gaveBack(): boolean {
    return this.#gaveBack;
  }

  /** The pause ended (resumed or stopped). */
  end(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#gaveBack = false;
  }
}
