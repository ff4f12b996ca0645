// A fetch that gives up on a coordinator that has gone quiet. Without it a call waits as long as the
// transport does (undici: 300 s for the answer to begin and again between pieces of it; a browser: longer),
// and a coordinator that accepted the connection and then hung — overloaded, or its machine gone with the
// TCP connection still open — kept a command silent for minutes. The limit is on silence, not on the
// whole call: a long download or event stream that keeps coming is never cut, and a 429's wait (the retry
// layer above this one) is not counted.
import type { Fetch } from './retry';

/** What the client waits by default for a quiet coordinator: the event stream's keep-alives come every 15 s. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** The least an event stream is waited for: the coordinator sends a keep-alive every 15 s without news. */
export const EVENTS_QUIET_FLOOR_MS = 30_000;

/**
 * The slowest upload allowed for: a request's body is sent before its answer can begin, so the wait for the
 * answer grows by the body's size at this rate (64 KiB/s, about 0.5 Mbit/s). The coordinator's own limit on a
 * request (5 minutes by default) cuts an upload that slow past ~19 MiB first; this one only must not.
 */
export const UPLOAD_FLOOR_BYTES_PER_S = 64 * 1024;

/** Why a call was given up: the coordinator sent nothing for the client's timeout. */
export class CoordinatorQuiet extends Error {
  override readonly name = 'CoordinatorQuiet';
}

/** The longest delay a timer keeps (2^31 − 1 ms, ~24.8 days): a longer one fires at once, in Node and browsers. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface QuietLimits {
  /** The request body's size: its time at the upload floor is added to the wait for the answer. */
  readonly bodyBytes?: number;
  /** The wait between pieces of the answer, when not `timeoutMs` (an event stream's keep-alives: at least theirs). */
  readonly betweenPiecesMs?: number;
}

/**
 * `fetch` with a limit on the coordinator's silence: its answer must begin within `timeoutMs` (plus the time
 * the body takes at the upload floor), and each later piece of the body within `timeoutMs` (or
 * `betweenPiecesMs`) of being asked for. A quiet coordinator ends the call with a `CoordinatorQuiet` error,
 * whatever the transport makes of the abort. `timeoutMs` 0, or past what a timer can wait: no limit but the
 * transport's.
 */
export function quietLimited(fetch: Fetch, timeoutMs: number, limits: QuietLimits = {}): Fetch {
  if (!(timeoutMs > 0 && timeoutMs <= LONGEST_TIMER_MS)) return fetch;
  const uploadMs = Math.ceil(((limits.bodyBytes ?? 0) * 1000) / UPLOAD_FLOOR_BYTES_PER_S);
  const answerMs = Math.min(LONGEST_TIMER_MS, timeoutMs + uploadMs);
  const pieceMs = Math.min(LONGEST_TIMER_MS, limits.betweenPiecesMs ?? timeoutMs);
  return async (request) => {
    const quiet = new AbortController();
    const signal = either(request.signal, quiet.signal);
    const giveUp = (ms: number, what: string) => () =>
      quiet.abort(new CoordinatorQuiet(`the coordinator sent nothing for ${seconds(ms)} (${what})`));
    /** The transport's error, or ours where the abort was ours (a transport may say only AbortError). */
    const why = (error: unknown): unknown =>
      quiet.signal.aborted && !request.signal.aborted ? quiet.signal.reason : error;
    const timer = setTimeout(giveUp(answerMs, 'waiting for its answer'), answerMs);
    let response: Response;
    try {
      response = await fetch(new Request(request, { signal }));
    } catch (error) {
      throw why(error);
    } finally {
      clearTimeout(timer);
    }
    if (!response.body) return response;
    const body = quietLimitedBody(response.body, pieceMs, giveUp(pieceMs, 'in the middle of its answer'), why);
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The body read on demand only, so that a slow reader (writing to a full disk, say) is not taken for a quiet server. */
function quietLimitedBody(
  body: ReadableStream<Uint8Array>,
  timeoutMs: number,
  giveUp: () => void,
  why: (error: unknown) => unknown,
): ReadableStream<Uint8Array> {
  // Taken at the first read: a body never read stays the transport's to release.
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= body.getReader();
        const timer = setTimeout(giveUp, timeoutMs);
        try {
          const { value, done } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          throw why(error);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel: (reason) => (reader ?? body).cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/**
 * Aborted when either is. `AbortSignal.any` where the platform has it (Node 20.3, Chromium 116, Safari 17.4); before
 * that, a forwarding listener, left on `a` — the caller's signal, which lives no longer than its calls in practice.
 */
export function either(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const both = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) both.abort(s.reason);
    else s.addEventListener('abort', () => both.abort(s.reason), { once: true });
  }
  return both.signal;
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;
