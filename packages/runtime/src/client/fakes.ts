// Fakes shared by the client's tests: what a coordinator's failed answer comes to.
import type { ClientFailure, ClientResult } from './coordinator-client';

/** A failed answer with this status and code (status 0: no answer at all), naming the batch's item `index`. */
export const failure = (status: number, code: ClientFailure['code'], index?: number): ClientResult<never> => ({
  ok: false,
  error: {
    code,
    message: code,
    status,
    transient: status === 0 || status >= 500 || status === 429,
    ...(index !== undefined ? { index } : {}),
  },
});
