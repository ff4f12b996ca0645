// Hostile requests: routes that do not exist, project tokens, other projects' and unknown jobs, a cancelled
// job (job creation: job-cases.ts).
import { API } from '@bricolage/protocol';
import { squareJob } from '../../testing/fixtures';
import { type Case, json, get, bare, ndjson, freshLines, UNKNOWN_JOB } from './harness';

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
];
