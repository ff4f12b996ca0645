// Hostile requests: routes that do not exist, project tokens, other projects' and unknown jobs, a cancelled
// job, job creation.
import { API, utf8 } from '@bricolage/protocol';
import { squareJob } from '../../testing/fixtures';
import {
  type Case,
  json,
  get,
  bare,
  ndjson,
  freshLines,
  CAPS,
  UNKNOWN_JOB,
  UNKNOWN_HASH,
  createJob,
  withSpec,
} from './harness';

export const PROJECT_CASES: readonly Case[] = [
  // Routes that do not exist.
  { name: 'unknown path', req: () => get('/v1/nope'), status: 404, code: 'not_found' },
  {
    name: 'unknown method on a known path',
    req: (w) => bare('DELETE', API.jobs, w.token),
    status: 404,
    code: 'not_found',
  },
  { name: 'GET on a POST-only route', req: (w) => get(API.submit, w.alice.bearer), status: 404, code: 'not_found' },
  { name: 'PUT on a job', req: (w) => bare('PUT', API.job(w.job), w.token), status: 404, code: 'not_found' },
  { name: 'path below a job', req: (w) => get(`${API.job(w.job)}/a/b/c`, w.token), status: 404, code: 'not_found' },

  // Project tokens: absent, wrong, of the wrong kind.
  { name: 'job list without a token', req: () => get(API.jobs), status: 401, code: 'unauthorized' },
  {
    name: 'job list with an unknown project token',
    req: () => get(API.jobs, 'brk_forged'),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'job list with Basic credentials',
    req: () => ({ method: 'GET', path: API.jobs, headers: { authorization: `Basic ${btoa('admin:admin')}` } }),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'volunteer token as a project token',
    req: (w) => get(API.jobs, w.alice.bearer),
    status: 401,
    code: 'unauthorized',
  },
  { name: 'a 10 KB bearer token', req: () => get(API.jobs, 'x'.repeat(10_000)), status: 401, code: 'unauthorized' },
  {
    name: 'create a job without a token',
    req: () => json('POST', API.jobs, squareJob()),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'upload work units without a token',
    req: (w) => ndjson(w.job, freshLines(50_000, 1)),
    status: 401,
    code: 'unauthorized',
  },

  // Another project's job is not found, whatever is done to it.
  {
    name: "read another project's job",
    req: (w) => get(API.job(w.job), w.foreignToken),
    status: 404,
    code: 'not_found',
  },
  {
    name: "pause another project's job",
    req: (w) => bare('POST', API.pause(w.job), w.foreignToken),
    status: 404,
    code: 'not_found',
  },
  {
    name: "resume another project's job",
    req: (w) => bare('POST', API.resume(w.foreignJob), w.token),
    status: 404,
    code: 'not_found',
  },
  {
    name: "cancel another project's job",
    req: (w) => bare('POST', API.cancel(w.job), w.foreignToken),
    status: 404,
    code: 'not_found',
  },
  {
    name: "add work units to another project's job",
    req: (w) => ndjson(w.job, freshLines(50_000, 3), w.foreignToken),
    status: 404,
    code: 'not_found',
  },
  {
    name: "results of another project's job",
    req: (w) => get(API.results(w.job), w.foreignToken),
    status: 404,
    code: 'not_found',
  },
  {
    name: "events of another project's job",
    req: (w) => get(API.events(w.job), w.foreignToken),
    status: 404,
    code: 'not_found',
  },

  // Unknown job ids, and ids of the wrong kind or shape.
  { name: 'read an unknown job', req: (w) => get(API.job(UNKNOWN_JOB), w.token), status: 404, code: 'not_found' },
  {
    name: 'results of an unknown job',
    req: (w) => get(API.results(UNKNOWN_JOB), w.token),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'events of an unknown job',
    req: (w) => get(API.events(UNKNOWN_JOB), w.token),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'cancel an unknown job',
    req: (w) => bare('POST', API.cancel(UNKNOWN_JOB), w.token),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'a work unit id where a job id goes',
    req: (w) => get(API.job('wu_1'), w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'a lease id where a job id goes',
    req: (w) => bare('POST', API.pause('ls_1'), w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'a job id with SQL in it',
    req: (w) => get(API.job(encodeURIComponent("job_1' OR '1'='1")), w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'results after a negative cursor',
    req: (w) => get(`${API.results(w.job)}?after=-1`, w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'results after an empty cursor (not read as 0)',
    req: (w) => get(`${API.results(w.job)}?after=`, w.token),
    status: 400,
    code: 'bad_request',
    message: /after: expected a whole number in digits/,
  },
  {
    name: 'results with a hexadecimal limit',
    req: (w) => get(`${API.results(w.job)}?limit=0x10`, w.token),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'an inclusion proof of index 1e0',
    req: () => get(`${API.inclusion}?index=1e0&size=2`),
    status: 400,
    code: 'bad_request',
    message: /index: expected a whole number in digits, not "1e0"/,
  },
  {
    name: 'log entries from an empty start',
    req: () => get(`${API.entries}?start=&end=1`),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'results with limit 0',
    req: (w) => get(`${API.results(w.job)}?limit=0`, w.token),
    status: 400,
    code: 'bad_request',
  },

  // A cancelled job stays cancelled.
  {
    name: 'cancel a cancelled job',
    req: (w) => bare('POST', API.cancel(w.cancelledJob), w.token),
    status: 409,
    code: 'job_not_active',
  },
  {
    name: 'pause a cancelled job',
    req: (w) => bare('POST', API.pause(w.cancelledJob), w.token),
    status: 409,
    code: 'job_not_active',
  },
  {
    name: 'resume a cancelled job',
    req: (w) => bare('POST', API.resume(w.cancelledJob), w.token),
    status: 409,
    code: 'job_not_active',
  },
  {
    name: 'add work units to a cancelled job',
    req: (w) => ndjson(w.cancelledJob, freshLines(50_000, 3), w.token),
    status: 409,
    code: 'job_not_active',
  },

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
