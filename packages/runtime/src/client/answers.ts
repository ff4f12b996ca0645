// What the coordinator's answers come to, as values: a response read into what the protocol says it is (JSON
// checked against its schema, a lease answer framed or not), or a failure saying why — an error answer's body, a
// network failure, a request the watchdog cut, one never sent. The client (coordinator-client.ts) sends; this reads.
import {
  type ErrorCode,
  ErrorBody,
  LEASE_FRAME_TYPE,
  type LeaseAnswer,
  LeaseResponse,
  type Parsed,
  type Schema,
  readLeaseFrame,
} from '@bricolage/protocol';
import type { Watchdog } from './watchdog';

export interface ClientFailure {
  readonly code: ErrorCode | 'network';
  readonly message: string;
  /** Where in a batch the offending item sits, when the server said. */
  readonly index?: number;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Whether the same request may succeed later (network failure, 5xx, 429). */
  readonly transient: boolean;
  /** No answer came within the client's `requestTimeoutMs` (a `network` failure): the request may still have been done. */
  readonly timedOut?: true;
}

export type ClientResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ClientFailure };

const isTransient = (status: number) => status === 0 || status === 408 || status === 429 || status >= 500;

/** Reads a successful response into a value, or says why it cannot. */
export type Reader<T> = (response: Response, path: string) => Promise<ClientResult<T>>;

/** The body broke off or is not what its type says: worth asking again. */
const unreadable = (response: Response, error: unknown) =>
  fail({
    code: 'internal',
    message: `unreadable response: ${(error as Error).message}`,
    status: response.status,
    transient: true,
  });

/** A body of the right kind that is not what the protocol says. */
const unexpected = (response: Response, path: string, why: string) =>
  fail({ code: 'internal', message: `unexpected response to ${path}: ${why}`, status: response.status });

export async function readJson<T>(response: Response, path: string, schema: Schema<T>): Promise<ClientResult<T>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    return unreadable(response, error);
  }
  const parsed = schema.safeParse(body);
  return parsed.success ? ok(parsed.data) : unexpected(response, path, parsed.error.message);
}

/** A lease answer, framed (inputs as bytes) or JSON (inputs as base64), whichever the coordinator sent. */
export async function leaseAnswer(response: Response, path: string): Promise<ClientResult<LeaseAnswer>> {
  if (response.headers.get('content-type')?.startsWith(LEASE_FRAME_TYPE) !== true)
    return readJson(response, path, LeaseResponse);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return unreadable(response, error);
  }
  const read = readLeaseFrame(bytes);
  return read.ok ? ok(read.answer) : unexpected(response, path, read.message);
}

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export function fail(error: Omit<ClientFailure, 'transient'> & { transient?: boolean }): {
  ok: false;
  error: ClientFailure;
} {
  return { ok: false, error: { ...error, transient: error.transient ?? isTransient(error.status) } };
}

/** An error answer, unless its body was cut (a proxy that stalled after its headers): then the cut, worth a retry. */
export function refusal(watchdog: Watchdog, failure: ClientFailure): { ok: false; error: ClientFailure } {
  return watchdog.why ? cut(watchdog, null) : { ok: false, error: failure };
}

/** A request the watchdog cut says why; any other that failed to reach or be read says what broke. */
export function cut(watchdog: Watchdog, error: unknown): { ok: false; error: ClientFailure } {
  const why = watchdog.why;
  return why ? fail({ code: 'network', message: why, status: 0, timedOut: true }) : networkFailure(error);
}

/**
 * The failure of a request that was never sent (its token could not be had): not `timedOut` even when the token's
 * request was, which would say that this one may have been done (a submit batch was halved for it).
 */
export function unsent({ timedOut: _timedOut, ...error }: ClientFailure): { ok: false; error: ClientFailure } {
  return { ok: false, error };
}

export function networkFailure(error: unknown): { ok: false; error: ClientFailure } {
  return fail({ code: 'network', message: error instanceof Error ? error.message : String(error), status: 0 });
}

/** The `{error:{code,message,index}}` body of a failed response, or a stand-in when it has none. */
export async function failureOf(response: Response): Promise<ClientFailure> {
  const status = response.status;
  let text = '';
  try {
    text = await response.text();
  } catch (error) {
    text = (error as Error).message;
  }
  let parsed: Parsed<typeof ErrorBody> | null = null;
  try {
    const result = ErrorBody.safeParse(JSON.parse(text));
    if (result.success) parsed = result.data;
  } catch {
    // Not JSON (a proxy's error page): fall through to the stand-in below.
  }
  const fallbackCode: ErrorCode =
    status === 429
      ? 'rate_limited'
      : status >= 500
        ? 'internal'
        : status === 401
          ? 'unauthorized'
          : status === 413
            ? 'payload_too_large'
            : 'bad_request';
  return {
    code: parsed?.error.code ?? fallbackCode,
    message: parsed?.error.message ?? (text.slice(0, 200) || `HTTP ${status}`),
    ...(parsed?.error.index !== undefined ? { index: parsed.error.index } : {}),
    status,
    // The coordinator says every refusal in its error body: a 4xx without one is a proxy's or a gateway's page (a
    // 404 while a deploy moves the route, a firewall's 403), which says nothing of the request and may pass later.
    // Taken as final, it had a submit drop every result it held. A proxy's 413 still says the body is too large, and a
    // 401 is answered by signing in again.
    transient: isTransient(status) || (parsed === null && status !== 413 && status !== 401),
  };
}
