// A fetch that waits out the coordinator's rate limits: a 429 is retried after its Retry-After, a few
// times. Every request this client sends may be repeated after a 429, which the server answers before it
// changes anything (work-unit batches carry an Idempotency-Key besides).
export type Fetch = (request: Request) => Promise<Response>;

export interface RetryOptions {
  /** Retries of one request after a 429; then the 429 is the answer. */
  readonly maxRetries: number;
  /** The longest wait honoured from Retry-After, in ms. */
  readonly maxWaitMs: number;
  readonly sleep: (ms: number, signal?: AbortSignal | null) => Promise<void>;
}

export const abortableSleep = (ms: number, signal?: AbortSignal | null): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export const DEFAULT_RETRY: RetryOptions = { maxRetries: 5, maxWaitMs: 30_000, sleep: abortableSleep };

/** Seconds (or an HTTP date) from Retry-After as ms, at least a short pause when it is missing or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now);
}

export function retrying(fetch: Fetch, options: RetryOptions = DEFAULT_RETRY): Fetch {
  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      // The body of a sent Request is consumed: each attempt sends a copy.
      const response = await fetch(attempt < options.maxRetries ? request.clone() : request);
      if (response.status !== 429 || attempt >= options.maxRetries) return response;
      const wait = Math.min(options.maxWaitMs, retryAfterMs(response.headers.get('retry-after')));
      await response.body?.cancel();
      await options.sleep(wait, request.signal);
    }
  };
}
