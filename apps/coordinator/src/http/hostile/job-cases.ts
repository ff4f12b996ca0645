// Hostile requests: job creation, its body and what it names.
import { API, utf8 } from '@bricolage/protocol';
import { squareJob } from '../../testing/fixtures';
import { type Case, json, CAPS, UNKNOWN_HASH, createJob, withSpec } from './harness';

export const JOB_CASES: readonly Case[] = [
  // Job creation: the body.
  {
    name: 'create a job: malformed JSON',
    req: (w) => ({ method: 'POST', path: API.jobs, token: w.token, type: 'application/json', body: '{"name": "x",' }),
    status: 400,
    code: 'bad_request',
    message: /malformed JSON/,
  },
  {
    name: 'create a job: a stray invalid UTF-8 byte',
    req: (w) => ({
      method: 'POST',
      path: API.jobs,
      token: w.token,
      type: 'application/json',
      body: new Uint8Array([...utf8(JSON.stringify(squareJob()).slice(0, -1)), 0xff, 0x7d]),
    }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: text/plain',
    req: (w) => ({ ...createJob(w, {}), type: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'create a job: no content type',
    req: (w) => ({ method: 'POST', path: API.jobs, token: w.token, body: utf8(JSON.stringify(squareJob())) }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'create a job: application/json-seq',
    req: (w) => ({ ...createJob(w, {}), type: 'application/json-seq' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'create a job: JSON said to be UTF-16 (it would be read as UTF-8)',
    req: (w) => ({ ...createJob(w, {}), type: 'application/json; charset=utf-16' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'create a job: text/json',
    req: (w) => ({ ...createJob(w, {}), type: 'text/json' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'create a job: null', req: (w) => json('POST', API.jobs, null, w.token), status: 400, code: 'bad_request' },
  {
    name: 'create a job: an array',
    req: (w) => json('POST', API.jobs, [squareJob()], w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: name missing',
    req: (w) => createJob(w, { name: undefined }),
    status: 400,
    code: 'bad_request',
    message: /name/,
  },
  { name: 'create a job: name a number', req: (w) => createJob(w, { name: 42 }), status: 400, code: 'bad_request' },
  {
    name: 'create a job: a name with a NUL character',
    req: (w) => createJob(w, { name: 'a\u0000b' }),
    status: 400,
    code: 'bad_request',
    message: /NUL/,
  },
  {
    name: 'create a job: a description with half of a surrogate pair',
    req: (w) => createJob(w, { description: 'a\udc00' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: a misspelt field (dropped, its default would have stood)',
    req: (w) => createJob(w, { redundancy: { minQourum: 5, maxTotalResults: 10 } }),
    status: 400,
    code: 'bad_request',
    message: /unknown field redundancy\.minQourum/,
  },
  {
    name: 'create a job: a 5,000-character name',
    req: (w) => createJob(w, { name: 'n'.repeat(5000) }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: a 3,000-character description',
    req: (w) => createJob(w, { description: 'd'.repeat(3000) }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: a body over the JSON cap',
    req: (w) => createJob(w, { description: 'd'.repeat(CAPS.maxJsonBytes) }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'create a job: a chunked body over the JSON cap',
    req: (w) => ({
      method: 'POST',
      path: API.jobs,
      token: w.token,
      type: 'application/json',
      body: JSON.stringify({ ...squareJob(), description: 'd'.repeat(3 * CAPS.maxJsonBytes) }),
      chunked: true,
    }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'create a job: 3,000-deep nesting',
    req: (w) => ({
      method: 'POST',
      path: API.jobs,
      token: w.token,
      type: 'application/json',
      body: `{"name":${'['.repeat(3000)}${']'.repeat(3000)}}`,
    }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: an unknown spec kind',
    req: (w) => withSpec(w, { kind: 'cuda' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: shader not a hash',
    req: (w) => withSpec(w, { shader: 'main.wgsl' }),
    status: 400,
    code: 'bad_request',
  },
  { name: 'create a job: no bindings', req: (w) => withSpec(w, { bindings: [] }), status: 400, code: 'bad_request' },
  {
    name: 'create a job: no output binding',
    req: (w) => withSpec(w, { bindings: [{ binding: 0, name: 'xs', type: 'read', role: 'input', size: 16 }] }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: a binding declared twice',
    req: (w) =>
      withSpec(w, {
        bindings: [
          { binding: 0, name: 'xs', type: 'read', role: 'input', size: 16 },
          { binding: 0, name: 'ys', type: 'read_write', role: 'output', size: 16 },
        ],
      }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: a zero dispatch',
    req: (w) => withSpec(w, { dispatch: [0, 1, 1] }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: float comparator without rtol',
    req: (w) => createJob(w, { comparator: { kind: 'float', atol: 0 } }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: maxTotalResults below minQuorum',
    req: (w) =>
      createJob(w, { redundancy: { minQuorum: 3, maxTotalResults: 2, maxErrorResults: 1, homogeneous: false } }),
    status: 400,
    code: 'bad_request',
    message: /maxTotalResults/,
  },
  {
    name: 'create a job: negative cost',
    req: (w) => createJob(w, { costPerWorkUnit: -1 }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: cost as a string',
    req: (w) => createJob(w, { costPerWorkUnit: '10' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'create a job: cost missing',
    req: (w) => createJob(w, { costPerWorkUnit: undefined }),
    status: 400,
    code: 'bad_request',
  },
  { name: 'create a job: 1 s leases', req: (w) => createJob(w, { leaseSeconds: 1 }), status: 400, code: 'bad_request' },
  {
    name: 'create a job: a shader never uploaded',
    req: (w) => withSpec(w, { shader: UNKNOWN_HASH }),
    status: 400,
    code: 'bad_request',
    message: /has not been uploaded/,
  },
  {
    name: 'create a job: a wasm module never uploaded',
    req: (w) => withSpec(w, { wasm: { module: UNKNOWN_HASH, export: 'run' } }),
    status: 400,
    code: 'bad_request',
    message: /has not been uploaded/,
  },
  {
    name: 'create a job: an ONNX model never uploaded',
    req: (w) =>
      createJob(w, {
        spec: {
          kind: 'onnx',
          model: UNKNOWN_HASH,
          inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
          outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
        },
      }),
    status: 400,
    code: 'bad_request',
    message: /has not been uploaded/,
  },
];
