// The one place an error becomes an HTTP response: `{ "error": { "code", "message" } }` with a 4xx status.
import type { ErrorCode, Failure } from '@bricolage/protocol';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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
  rate_limited: 429,
  internal: 500,
};

/** The HTTP status of an error code, for answers that do not go through Hono (a refused WebSocket handshake). */
export const httpStatus = (code: ErrorCode): ContentfulStatusCode => STATUS[code];

export class ApiError extends Error {
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
}

export function errorResponse(c: Context, code: ErrorCode, message: string, index?: number): Response {
  const error = index === undefined ? { code, message } : { code, message, index };
  return c.json({ error }, STATUS[code]);
}

/** Hono's onError: known errors keep their code; anything else is our bug, logged and reported as 500. */
export function handleError(err: Error, c: Context, log: (msg: string) => void): Response {
  if (err instanceof ApiError) return errorResponse(c, err.code, err.message, err.index);
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
  log(`internal error on ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
  return errorResponse(c, 'internal', 'internal error');
}
