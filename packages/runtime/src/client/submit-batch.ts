// What to do with the coordinator's answer to a batch of results. A batch is all-or-nothing: when one
// item is rejected the error names its index; that item is dropped (and why is recorded) and the rest
// are sent again. Pure, so that every branch is pinned down by unit tests.
import type { SubmitResponse } from '@bricolage/protocol';
import type { ClientFailure, ClientResult } from './coordinator-client';

export type BatchVerdict =
  /** Every item is settled: accepted now, or repeated an identical earlier submission. */
  | { readonly kind: 'settled'; readonly accepted: number; readonly repeated: number }
  /** One item can never be accepted: drop it and resubmit the others at once. */
  | { readonly kind: 'drop'; readonly index: number; readonly reason: ClientFailure }
  /** Rejected without naming an item: resubmit the items one by one to find it. */
  | { readonly kind: 'split'; readonly reason: ClientFailure }
  /** Nothing is wrong with the items: try the same batch again later. */
  | { readonly kind: 'retry'; readonly reason: ClientFailure }
  /**
   * The coordinator failed while handling the batch (a 5xx of its own): maybe because of one item in it,
   * maybe not. Worth finding out which, without blaming any item on this answer alone.
   */
  | { readonly kind: 'suspect'; readonly reason: ClientFailure };

/** 502, 503 and 504 come from a gateway or an overloaded or restarting coordinator: they say nothing of the items. */
const SAYS_NOTHING_OF_THE_ITEMS = new Set([502, 503, 504]);

export function judgeBatch(size: number, answer: ClientResult<SubmitResponse>): BatchVerdict {
  if (answer.ok) return { kind: 'settled', accepted: answer.value.accepted, repeated: answer.value.repeated };
  const reason = answer.error;
  if (reason.status >= 500 && !SAYS_NOTHING_OF_THE_ITEMS.has(reason.status)) return { kind: 'suspect', reason };
  // Network failures, gateways, rate limiting, and credentials the client could not renew: the items are fine.
  if (reason.transient || reason.status === 401 || (reason.status === 403 && reason.code !== 'lease_foreign'))
    return { kind: 'retry', reason };
  if (reason.index !== undefined && reason.index >= 0 && reason.index < size)
    return { kind: 'drop', index: reason.index, reason };
  if (size === 1) return { kind: 'drop', index: 0, reason };
  return { kind: 'split', reason };
}
