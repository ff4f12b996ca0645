// The one place an error becomes an HTTP response: `{ "error": { "code", "message" } }` with a 4xx status.
import type { ErrorCode, Failure } from '@bricolage/protocol';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../logger';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  bad_signature: 401,
  replayed: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  lease_expired: 410,
  lease_foreign: 403,
  duplicate_result: 409,
  job_not_active: 409,
  conflict: 409,
  hash_mismatch: 422,
  range_not_satisfiable: 416,
  rate_limited: 429,
  internal: 500,
};

/** The HTTP status of an error code, for answers that do not go through Hono (a refused WebSocket handshake). */
export const httpStatus = (code: ErrorCode): ContentfulStatusCode => STATUS[code];

export class ApiError extends Error {
  /** Seconds after which the same request may succeed (429s): sent as Retry-After. */
  retryAfter?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  static from(f: Failure): ApiError {
    return new ApiError(f.code, f.message, f.index);
  }
  static rateLimited(message: string, retryAfter: number): ApiError {
    const e = new ApiError('rate_limited', message);
    e.retryAfter = retryAfter;
    return e;
  }
}

export function errorResponse(c: Context, code: ErrorCode, message: string, index?: number): Response {
  const error = index === undefined ? { code, message } : { code, message, index };
  return c.json({ error }, STATUS[code]);
}

/** The client hung up: nobody will read the answer, and it is no fault of ours. */
function clientGone(c: Context): boolean {
  if (c.req.raw.signal.aborted) return true;
  const incoming = (c.env as { incoming?: { destroyed?: boolean; complete?: boolean } } | undefined)?.incoming;
  // A request whose body was read whole is destroyed too (Node ends it): only one cut short went away.
  return incoming?.destroyed === true && incoming.complete !== true;
}

/**
 * Hono's onError: known errors keep their code; a request whose client went away is answered quietly (the
 * request line records it); anything else is our bug, logged and reported as 500.
 */
export function handleError(err: Error, c: Context, logger: Logger): Response {
  if (err instanceof ApiError) {
    if (err.retryAfter !== undefined) c.header('Retry-After', String(err.retryAfter));
    return errorResponse(c, err.code, err.message, err.index);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code: ErrorCode =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status === 401
            ? 'unauthorized'
            : 'bad_request';
    return errorResponse(c, code, err.message || 'bad request');
  }
  if (clientGone(c)) {
    logger.debug({ method: c.req.method, path: c.req.path, error: err.message }, 'client went away');
    return errorResponse(c, 'bad_request', 'the client closed the connection');
  }
  logger.error({ method: c.req.method, path: c.req.path, error: err.stack ?? err.message }, 'internal error');
  return errorResponse(c, 'internal', 'internal error');
}
