// Hostile requests: blobs and work-unit uploads (NDJSON, all or nothing).
import { API, toBase64, utf8 } from '@bricolage/protocol';
import { sha256Hex } from '../../hash';
import { SQUARE_WGSL, squareInput } from '../../testing/fixtures';
import { type Case, get, ndjson, wuLine, freshLines, withBadLine, CAPS, UNKNOWN_JOB, UNKNOWN_HASH } from './harness';

export const UPLOAD_CASES: readonly Case[] = [
  // Blobs.
  {
    name: 'blob whose body does not hash to its URL',
    req: (w) => ({
      method: 'PUT',
      path: API.blob(w.shader),
      token: w.token,
      type: 'application/octet-stream',
      body: utf8(`${SQUARE_WGSL}// tampered\n`),
    }),
    status: 422,
    code: 'hash_mismatch',
  },
  {
    name: 'blob under a name that is not a hash',
    req: (w) => ({ method: 'PUT', path: API.blob('shader.wgsl'), token: w.token, body: utf8('x') }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'blob under an uppercase hash',
    req: (w) => {
      const bytes = utf8('upper');
      return { method: 'PUT', path: API.blob(sha256Hex(bytes).toUpperCase()), token: w.token, body: bytes };
    },
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'blob over the blob cap',
    req: (w) => {
      const bytes = new Uint8Array(CAPS.maxBlobBytes + 1).fill(7);
      return { method: 'PUT', path: API.blob(sha256Hex(bytes)), token: w.token, body: bytes };
    },
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'blob upload without a token',
    req: () => {
      const bytes = utf8('anonymous');
      return { method: 'PUT', path: API.blob(sha256Hex(bytes)), body: bytes };
    },
    status: 401,
    code: 'unauthorized',
  },
  { name: 'download an unknown blob', req: () => get(API.blob(UNKNOWN_HASH)), status: 404, code: 'not_found' },
  {
    name: 'download a traversal path',
    req: () => get(API.blob('..%2f..%2fetc%2fpasswd')),
    status: 400,
    code: 'bad_request',
  },

  // Work-unit uploads (NDJSON): all or nothing.
  {
    name: 'upload: line 500 of 1000 is not JSON',
    req: (w) => ndjson(w.job, withBadLine(freshLines(10_000, 1000), 500, '{"input": '), w.token),
    status: 400,
    code: 'bad_request',
    index: 499,
    message: /line 500/,
  },
  {
    name: 'upload: line 1500 of 2000 is bad, after a first chunk was staged',
    req: (w) => ndjson(w.job, withBadLine(freshLines(20_000, 2000), 1500, '{"input": 7}'), w.token),
    status: 400,
    code: 'bad_request',
    index: 1499,
    message: /line 1500/,
  },
  {
    name: 'upload: a misspelt field on line 3 (a known answer that would have been an ordinary unit)',
    req: (w) =>
      ndjson(w.job, withBadLine(freshLines(30_000, 5), 3, wuLine(squareInput(30_002), { expceted: 'AAAA' })), w.token),
    status: 400,
    code: 'bad_request',
    index: 2,
    message: /line 3: unknown field expceted/,
  },
  {
    name: 'upload: invalid base64',
    req: (w) => ndjson(w.job, withBadLine(freshLines(30_000, 10), 4, '{"input":"!!not base64!!"}'), w.token),
    status: 400,
    code: 'bad_request',
    index: 3,
  },
  {
    name: 'upload: an input of the wrong size',
    req: (w) => ndjson(w.job, [...freshLines(30_000, 5), wuLine(new Uint8Array(8))], w.token),
    status: 400,
    code: 'bad_request',
    index: 5,
  },
  {
    name: 'upload: an expected output of the wrong size',
    req: (w) => ndjson(w.job, [wuLine(squareInput(31_000), { expected: toBase64(new Uint8Array(12)) })], w.token),
    status: 400,
    code: 'bad_request',
    index: 0,
  },
  {
    name: 'upload: a line that is a number',
    req: (w) => ndjson(w.job, ['42'], w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'upload: input a number',
    req: (w) => ndjson(w.job, ['{"input": 1234}'], w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'upload: input missing',
    req: (w) => ndjson(w.job, ['{"tag": "x"}'], w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'upload: a tag with a NUL character',
    req: (w) => ndjson(w.job, [wuLine(squareInput(32_000), { tag: 't\u0000' })], w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'upload: a tag with half of a surrogate pair',
    req: (w) => ndjson(w.job, [wuLine(squareInput(32_000), { tag: 'a\ud800b' })], w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'upload: a 201-character tag',
    req: (w) => ndjson(w.job, [wuLine(squareInput(32_000), { tag: 't'.repeat(201) })], w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'upload: an unterminated line over the line cap',
    req: (w) => ({ ...ndjson(w.job, [], w.token), body: `{"input":"${'A'.repeat(2 * CAPS.maxLineBytes)}` }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'upload: a whole line over the line cap (padded with spaces, otherwise valid)',
    req: (w) =>
      ndjson(w.job, [`{${' '.repeat(2 * CAPS.maxLineBytes)}"input":"${toBase64(squareInput(33_000))}"}`], w.token),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'upload: a body over the upload cap',
    // Every line repeats an input already stored, so only the cap is under test here, not staging.
    req: (w) => ndjson(w.job, Array(Math.ceil((1.5 * CAPS.maxUploadBytes) / 40)).fill(wuLine(squareInput(1))), w.token),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'upload: invalid UTF-8',
    req: (w) => ({
      ...ndjson(w.job, [], w.token),
      body: new Uint8Array([...utf8(`${wuLine(squareInput(34_000))}\n{"input":"`), 0xc3, 0x28, ...utf8('"}\n')]),
    }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'upload: an unknown job',
    req: (w) => ndjson(UNKNOWN_JOB, freshLines(35_000, 2), w.token),
    status: 404,
    code: 'not_found',
  },

  // The public receipt log.
  {
    name: 'inclusion proof: index equal to size',
    req: (w) => get(`${API.inclusion}?index=${w.logSize}&size=${w.logSize}`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'inclusion proof: size beyond the log',
    req: (w) => get(`${API.inclusion}?index=0&size=${w.logSize + 1}`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'inclusion proof: negative index',
    req: () => get(`${API.inclusion}?index=-1&size=1`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'inclusion proof: size missing',
    req: () => get(`${API.inclusion}?index=0`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'inclusion proof: index not a number',
    req: () => get(`${API.inclusion}?index=abc&size=1`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'inclusion proof: fractional index',
    req: () => get(`${API.inclusion}?index=0.5&size=1`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'consistency proof: from beyond to',
    req: () => get(`${API.consistency}?from=2&to=1`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'consistency proof: to beyond the log',
    req: (w) => get(`${API.consistency}?from=0&to=${w.logSize + 1}`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'log entries: empty range',
    req: () => get(`${API.entries}?start=1&end=1`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'log entries: over 1000 at once',
    req: () => get(`${API.entries}?start=0&end=1001`),
    status: 400,
    code: 'bad_request',
  },
];
