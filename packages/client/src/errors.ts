// What a call to the coordinator can end in, as a value: the server's own error (its stable code and
// message), or one of the client's (the network failed, the call was aborted, the answer made no sense).
import { ErrorBody, type ErrorCode } from '@bricolage/protocol';
import { CoordinatorQuiet } from './timeout';

export type ClientErrorCode =
  | ErrorCode
  /** No answer: the coordinator is unreachable, or the connection was cut mid-request. */
  | 'network'
  /** The coordinator took the request and then sent nothing for the client's timeout (overloaded, or gone quiet). */
  | 'timeout'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** An answer that is not what the API document promises (another server, or another version). */
  | 'bad_response'
  /** Checked before anything was sent: a manifest, a file or a work-unit line that cannot be right. */
  | 'invalid_input';

export interface ClientError {
  readonly code: ClientErrorCode;
  readonly message: string;
  /** The HTTP status, when the coordinator answered. */
  readonly status?: number;
  /** Where in a batch the offending item sits, when the server said. */
  readonly index?: number;
  /**
   * A `network` failure before any connection was made (refused, no such host, unreachable): nothing reached the
   * coordinator, so nothing asked of it was done. Without it, a `network` failure may have come after the request
   * went (a connection cut before the answer): `mayHaveBeenDone`.
   */
  readonly unsent?: true;
}

export type ClientResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ClientError };

export const success = <T>(value: T): ClientResult<T> => ({ ok: true, value });
export const failure = (error: ClientError): { readonly ok: false; readonly error: ClientError } => ({
  ok: false,
  error,
});

/** undici's `cause.code`s for a connection never made. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether the coordinator may have done what a failed call asked: it took the request and went quiet, the connection
 * broke before its answer came, or a proxy in front of it answered a 5xx of its own (502 when the coordinator died
 * mid-request, 504 when it was slower than the proxy waits). A create is then said to have maybe happened.
 */
export const mayHaveBeenDone = (error: ClientError): boolean =>
  error.code === 'timeout' ||
  (error.code === 'network' && error.unsent !== true) ||
  (error.code === 'bad_response' && (error.status ?? 0) >= 500);

/** A thrown fetch error as a value: an abort is the caller's doing, anything else is the network's. */
export function thrownError(e: unknown, signal?: AbortSignal): ClientError {
  const err = e as Error;
  if (signal?.aborted || err?.name === 'AbortError') return { code: 'aborted', message: 'aborted' };
  if (err instanceof CoordinatorQuiet) return { code: 'timeout', message: err.message };
  // undici puts the reason (ECONNREFUSED, socket closed, …) in `cause`.
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message ?? err?.message ?? String(e);
  const message = `no answer from the coordinator (${reason})`;
  return NOT_CONNECTED.has(cause?.code ?? '')
    ? { code: 'network', message, unsent: true }
    : { code: 'network', message };
}

/** A non-2xx answer as a value: the server's `{ error: { code, message } }` when it sent one. */
export function answeredError(status: number, body: unknown): ClientError {
  const parsed = ErrorBody.safeParse(typeof body === 'string' ? tryJson(body) : body);
  if (parsed.success) {
    const { code, message, index } = parsed.data.error;
    return index === undefined ? { code, message, status } : { code, message, status, index };
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { code: 'bad_response', message: `HTTP ${status}: ${(text ?? '').slice(0, 200)}`, status };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
