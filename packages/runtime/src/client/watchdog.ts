// Bounds how long a request waits with nothing coming, never how long a moving transfer takes: the page must
// not hang on a coordinator that takes the connection and never answers, nor give up on a slow link.

/**
 * Aborts a request that waits too long with nothing coming: its answer not begun within `ms` plus `sendMs` (the
 * time given to its body going out), or its answer's bytes stopped for `ms`. `why` then says which.
 */
export class Watchdog {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: ReturnType<typeof setTimeout>;
  readonly #waited: number;
  #answering = false;
  #expired = false;
  #cleared = false;

  constructor(ms: number, sendMs: number) {
    this.#ms = ms;
    this.#waited = Math.round(ms + sendMs);
    this.#timer = this.#arm(this.#waited);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The response, its body read under watch: each chunk that comes gives the next `ms` to come. */
  watch(response: Response): Response {
    this.#answering = true;
    this.#restart();
    if (!response.body) return response;
    const restart = () => this.#restart();
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          restart();
          controller.enqueue(chunk);
        },
      }),
    );
    const { status, statusText, headers } = response;
    return new Response(body, { status, statusText, headers });
  }

  /** The request is also cut when `signal` aborts (the caller gave up on it): not a timeout, `why` stays null. */
  follow(signal: AbortSignal | undefined): void {
    if (!signal) return;
    if (signal.aborted) this.#controller.abort();
    else signal.addEventListener('abort', () => this.#controller.abort(), { once: true });
  }

  /** Done with the request: nothing read of it after this starts the clock again. */
  clear(): void {
    this.#cleared = true;
    clearTimeout(this.#timer);
  }

  /** Why the request was cut, or null while it has not been. */
  get why(): string | null {
    if (!this.#expired) return null;
    return this.#answering
      ? `the answer stopped coming for ${duration(this.#ms)}`
      : `no answer within ${duration(this.#waited)}`;
  }

  #restart(): void {
    if (this.#expired || this.#cleared) return;
    clearTimeout(this.#timer);
    this.#timer = this.#arm(this.#ms);
  }

  #arm(ms: number): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      this.#expired = true;
      this.#controller.abort();
    }, ms);
  }
}

const duration = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);
