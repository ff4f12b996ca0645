// The one error shape every endpoint returns, and the stable codes clients can branch on.
import { z } from 'zod';

export const ERROR_CODES = [
  'bad_request', // malformed JSON, wrong types, failed schema validation
  'payload_too_large',
  'unsupported_media_type',
  'unauthorized', // missing or invalid credentials
  'bad_signature',
  'replayed', // a challenge or request used twice
  'token_expired',
  'forbidden', // authenticated, but not allowed to touch this resource
  'not_found',
  'lease_expired',
  'lease_foreign', // the lease belongs to another volunteer
  'duplicate_result', // a different result for a lease that already returned one
  'job_not_active', // paused or cancelled job
  'conflict',
  'hash_mismatch',
  'range_not_satisfiable', // a byte range none of whose bytes exist
  'rate_limited',
  'internal',
] as const;
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      /** Where in a batch the offending item sits, when the request was a batch. */
      index: z.number().int().nonnegative().optional(),
    }),
  })
  .meta({ id: 'ErrorBody' });
export type ErrorBody = z.infer<typeof ErrorBody>;

export interface Failure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly index?: number;
}
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string, index?: number): { ok: false; error: Failure } => ({
  ok: false,
  error: index === undefined ? { code, message } : { code, message, index },
});
