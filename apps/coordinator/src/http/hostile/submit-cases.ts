// Hostile requests: submissions (bodies, leases that cannot take the result, batches) and receipts and stats.
import { API } from '@bricolage/protocol';
import { square } from '../../testing/fixtures';
import { okResult } from '../../testing/sim-volunteer';
import { type Case, json, get, inputOf, good, wrong, submit, UNKNOWN_HASH, A, B } from './harness';

export const SUBMIT_CASES: readonly Case[] = [
  // Submissions: the body.
  {
    name: 'submit: malformed JSON',
    req: (w) => ({
      method: 'POST',
      path: API.submit,
      token: w.alice.bearer,
      type: 'application/json',
      body: '{"results": [',
    }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: text/plain',
    req: (w) => ({ ...submit([good(A(w, 2))], w.alice.bearer), type: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'submit: no results', req: (w) => submit([], w.alice.bearer), status: 400, code: 'bad_request' },
  {
    name: 'submit: results missing',
    req: (w) => json('POST', API.submit, {}, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: results an object',
    req: (w) => json('POST', API.submit, { results: good(A(w, 2)) }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: 1001 results (over the JSON cap)',
    req: (w) => submit(Array(1001).fill(good(A(w, 2))), w.alice.bearer),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'submit: a job id where a lease id goes',
    req: (w) => submit([{ ...good(A(w, 2)), lease: w.job }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    message: /results\.0\.lease/,
  },
  {
    name: 'submit: a work unit id where a lease id goes',
    req: (w) => submit([{ ...good(A(w, 2)), lease: A(w, 2).workUnit }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: a lease id with a leading zero',
    req: (w) => submit([{ ...good(A(w, 2)), lease: `ls_0${A(w, 2).lease.slice(3)}` }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: lease a number',
    req: (w) => submit([{ ...good(A(w, 2)), lease: 3 }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: output not base64',
    req: (w) => submit([{ ...good(A(w, 2)), output: 'not base64!' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 0,
  },
  {
    name: 'submit: output hash in uppercase',
    req: (w) => submit([{ ...good(A(w, 2)), outputHash: good(A(w, 2)).outputHash.toUpperCase() }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: an unknown backend',
    req: (w) => submit([{ ...good(A(w, 2)), backend: 'cuda' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: an unknown result kind',
    req: (w) => submit([{ ...good(A(w, 2)), kind: 'maybe' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: an error result with an unknown code',
    req: (w) => submit([{ kind: 'error', lease: A(w, 2).lease, code: 'bored', message: '' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    // Postgres's TEXT cannot hold a NUL: refused for every store alike, not a 500 on one of them.
    name: 'submit: an error message with a NUL character',
    req: (w) =>
      submit([{ kind: 'error', lease: A(w, 2).lease, code: 'timeout', message: 'boom\u0000' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    message: /NUL/,
  },
  {
    name: 'submit: a 3,000-character error message',
    req: (w) =>
      submit([{ kind: 'error', lease: A(w, 2).lease, code: 'timeout', message: 'm'.repeat(3000) }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  { name: 'submit without a token', req: (w) => submit([good(A(w, 2))]), status: 401, code: 'unauthorized' },
  {
    name: 'submit with an expired token',
    req: (w) => submit([good(A(w, 2))], w.expiredToken),
    status: 401,
    code: 'token_expired',
  },

  // Submissions: leases that cannot take this result.
  {
    name: 'submit: an unknown lease',
    req: (w) => submit([{ ...good(A(w, 2)), lease: 'ls_999999' }], w.alice.bearer),
    status: 404,
    code: 'not_found',
    index: 0,
  },
  {
    name: "submit: another volunteer's lease",
    req: (w) => submit([good(B(w, 2))], w.alice.bearer),
    status: 403,
    code: 'lease_foreign',
    index: 0,
  },
  {
    name: 'submit: after the lease expired',
    req: (w) => submit([good(w.lateLease)], w.alice.bearer),
    status: 410,
    code: 'lease_expired',
    index: 0,
  },
  {
    name: 'submit: a different result for a lease that already returned one',
    req: (w) => submit([wrong(A(w, 1))], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 0,
  },
  {
    name: 'submit: a different result for a validated lease',
    req: (w) => submit([wrong(A(w, 0))], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 0,
  },
  {
    name: 'submit: an error for a lease that returned a result',
    req: (w) => submit([{ kind: 'error', lease: A(w, 1).lease, code: 'timeout', message: 'late' }], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 0,
  },
  {
    name: 'submit: an output that does not hash to outputHash',
    req: (w) => submit([{ ...good(A(w, 2)), outputHash: wrong(A(w, 2)).outputHash }], w.alice.bearer),
    status: 422,
    code: 'hash_mismatch',
    index: 0,
  },
  {
    name: "submit: an output shorter than the job's output size",
    req: (w) => submit([okResult(A(w, 4), square(inputOf(A(w, 4))).subarray(0, 8))], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 0,
  },
  {
    name: "submit: an output longer than the job's output size",
    req: (w) => submit([okResult(A(w, 5), new Uint8Array(64))], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 0,
  },
  {
    name: 'submit: a lease of a cancelled job',
    req: (w) => submit([good(w.cancelledLease)], w.alice.bearer),
    status: 409,
    code: 'job_not_active',
    index: 0,
  },

  // Batches: one bad item rejects every item, and the error names it.
  {
    name: 'batch: item 2 of 3 is foreign',
    req: (w) => submit([good(A(w, 2)), good(A(w, 3)), good(B(w, 2))], w.alice.bearer),
    status: 403,
    code: 'lease_foreign',
    index: 2,
  },
  {
    name: 'batch: item 1 of 2 has a bad hash',
    req: (w) => submit([good(A(w, 2)), { ...good(A(w, 3)), outputHash: UNKNOWN_HASH }], w.alice.bearer),
    status: 422,
    code: 'hash_mismatch',
    index: 1,
  },
  {
    name: 'batch: the last item of 3 names an unknown lease',
    req: (w) => submit([good(A(w, 2)), good(A(w, 3)), { ...good(A(w, 3)), lease: 'ls_999998' }], w.alice.bearer),
    status: 404,
    code: 'not_found',
    index: 2,
  },
  {
    name: 'batch: the same lease twice with different outputs',
    req: (w) => submit([good(A(w, 2)), wrong(A(w, 2))], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 1,
  },
  {
    name: 'batch: a late item after good ones',
    req: (w) => submit([good(A(w, 2)), good(A(w, 3)), good(w.lateLease)], w.alice.bearer),
    status: 410,
    code: 'lease_expired',
    index: 2,
  },
  {
    name: 'batch: item 1 of 2 fails the schema',
    req: (w) => submit([good(A(w, 2)), { ...good(A(w, 3)), lease: w.job }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    message: /results\.1\.lease/,
  },
  {
    name: 'batch: item 1 of 2 is a wrong-size output',
    req: (w) => submit([good(A(w, 6)), okResult(A(w, 7), new Uint8Array(4))], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 1,
  },

  // Receipts and stats.
  {
    name: 'receipts: limit 5000',
    req: (w) => get(`${API.receipts}?limit=5000`, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'receipts: after -2',
    req: (w) => get(`${API.receipts}?after=-2`, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  { name: 'receipts without a token', req: () => get(API.receipts), status: 401, code: 'unauthorized' },
];
