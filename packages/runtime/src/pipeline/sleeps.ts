// The sleeps of the pipeline's loop (a rest for the duty cycle, a wait for work, a pause) that any change cuts
// short: a new duty cycle, a resume, a stop wake every sleeper at once, and each looks again at why it slept.
export class Sleeps {
  readonly #sleepers = new Set<() => void>();

  /** Resolves after `ms`, or sooner when `wakeAll` is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.#sleepers]) wake();
  }
}
