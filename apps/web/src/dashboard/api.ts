// Every request the dashboard makes, in one module: the researcher routes of the coordinator that serves the
// page, with the project token. Errors are values ({ ok: false, error }) carrying the coordinator's own code
// and message, so each screen shows what the coordinator said. (When packages/client lands, its typed
// client replaces the bodies here and nothing else changes.)
import {
  AddWorkUnitsResponse,
  API,
  type CreateJobRequest,
  ErrorBody,
  Job,
  JobProgress,
  Project,
  ResultLine,
} from '@bricolage/protocol';
import { z } from 'zod';
import { SseParser } from './sse';

export interface ApiFailure {
  /** The HTTP status; 0 when no response came (network), -1 when the request was cancelled. */
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Where in a batch the offending item sits, when the coordinator said. */
  readonly index?: number;
}
export type ApiResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ApiFailure };

export type JobAction = 'pause' | 'resume' | 'cancel';

export interface UploadReply extends AddWorkUnitsResponse {
  /** The coordinator had already committed this batch under its idempotency key: nothing was added twice. */
  readonly replayed: boolean;
}

export interface EventHandlers {
  progress(p: JobProgress): void;
  completed(p: JobProgress): void;
}

export interface ResearcherApi {
  readonly base: string;
  project(): Promise<ApiResult<Project>>;
  jobs(): Promise<ApiResult<Job[]>>;
  job(id: string): Promise<ApiResult<{ job: Job; progress: JobProgress }>>;
  putBlob(hash: string, bytes: Uint8Array): Promise<ApiResult<void>>;
  createJob(request: CreateJobRequest): Promise<ApiResult<Job>>;
  control(id: string, action: JobAction): Promise<ApiResult<Job>>;
  /** Up to `limit` finished work units after `after`, in cursor order. */
  results(id: string, after: number, limit: number): Promise<ApiResult<ResultLine[]>>;
  /** Every finished work unit, as the NDJSON file the coordinator sends. */
  resultsFile(id: string): Promise<ApiResult<Blob>>;
  /** Reads the job's event stream until it ends or `signal` aborts. */
  events(id: string, handlers: EventHandlers, signal: AbortSignal): Promise<ApiResult<void>>;
  /** One NDJSON batch of work units, committed once per `key`; `onBytes` follows the upload of the body. */
  addWorkUnits(
    id: string,
    body: Blob,
    key: string,
    onBytes: (sent: number, total: number) => void,
    signal: AbortSignal,
  ): Promise<ApiResult<UploadReply>>;
}

const cancelled: ApiFailure = { status: -1, code: 'cancelled', message: 'cancelled' };

/** The coordinator's error body, or a message made from whatever else came back. */
function failureFrom(status: number, text: string): ApiFailure {
  try {
    const body = ErrorBody.safeParse(JSON.parse(text));
    if (body.success) return { status, ...body.data.error };
  } catch {
    // Not JSON: a proxy's page, or nothing. Shown as it is, shortened.
  }
  return { status, code: `http_${status}`, message: text.trim().slice(0, 300) || `HTTP ${status}` };
}

/** JSON, or undefined where the text is not JSON (then the schema check reports a bad answer). */
function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

const unreachable = (e: unknown): ApiFailure => ({
  status: 0,
  code: 'network',
  message: `the coordinator could not be reached (${(e as Error).message})`,
});

export function researcherApi(
  base: string,
  token: string,
  fetcher: typeof fetch = fetch.bind(globalThis),
): ResearcherApi {
  const auth = { authorization: `Bearer ${token}` };

  async function call<T>(path: string, schema: z.ZodType<T>, init: RequestInit = {}): Promise<ApiResult<T>> {
    let response: Response;
    try {
      response = await fetcher(base + path, {
        ...init,
        headers: { ...auth, accept: 'application/json', ...init.headers },
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') return { ok: false, error: cancelled };
      return { ok: false, error: unreachable(e) };
    }
    const text = await response.text();
    if (!response.ok) return { ok: false, error: failureFrom(response.status, text) };
    const parsed = schema.safeParse(parseJson(text));
    if (!parsed.success)
      return {
        ok: false,
        error: { status: response.status, code: 'bad_response', message: `unexpected answer from ${path}` },
      };
    return { ok: true, value: parsed.data };
  }

  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  return {
    base,
    project: () => call(API.myProject, Project),
    jobs: async () => {
      const r = await call(API.jobs, z.object({ jobs: z.array(Job) }));
      return r.ok ? { ok: true, value: r.value.jobs } : r;
    },
    job: (id) => call(API.job(id), z.object({ job: Job, progress: JobProgress })),
    putBlob: async (hash, bytes) => {
      const r = await call(API.blob(hash), z.unknown(), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes as Uint8Array<ArrayBuffer>,
      });
      return r.ok ? { ok: true, value: undefined } : r;
    },
    createJob: (request) => call(API.jobs, Job, json(request)),
    control: (id, action) => call(API[action](id), Job, { method: 'POST' }),
    results: async (id, after, limit) => {
      let response: Response;
      try {
        response = await fetcher(`${base}${API.results(id)}?after=${after}&limit=${limit}`, { headers: auth });
      } catch (e) {
        return { ok: false, error: unreachable(e) };
      }
      const text = await response.text();
      if (!response.ok) return { ok: false, error: failureFrom(response.status, text) };
      const lines: ResultLine[] = [];
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const parsed = ResultLine.safeParse(parseJson(line));
        if (!parsed.success)
          return { ok: false, error: { status: 200, code: 'bad_response', message: 'a result line did not parse' } };
        lines.push(parsed.data);
      }
      return { ok: true, value: lines };
    },
    resultsFile: async (id) => {
      try {
        const response = await fetcher(base + API.results(id), { headers: auth });
        if (!response.ok) return { ok: false, error: failureFrom(response.status, await response.text()) };
        return { ok: true, value: await response.blob() };
      } catch (e) {
        return { ok: false, error: unreachable(e) };
      }
    },
    events: async (id, handlers, signal) => {
      let response: Response;
      try {
        response = await fetcher(base + API.events(id), { headers: { ...auth, accept: 'text/event-stream' }, signal });
      } catch (e) {
        return { ok: false, error: (e as Error).name === 'AbortError' ? cancelled : unreachable(e) };
      }
      if (!response.ok || !response.body)
        return { ok: false, error: failureFrom(response.status, await response.text()) };
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return { ok: true, value: undefined };
          for (const e of parser.push(value)) {
            if (e.event !== 'progress' && e.event !== 'completed') continue;
            const parsed = JobProgress.safeParse(parseJson(e.data));
            if (parsed.success) handlers[e.event](parsed.data);
          }
        }
      } catch (e) {
        return { ok: false, error: (e as Error).name === 'AbortError' ? cancelled : unreachable(e) };
      }
    },
    // XMLHttpRequest, not fetch: only it reports how much of a request body has been sent.
    addWorkUnits: (id, body, key, onBytes, signal) =>
      new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', base + API.workUnits(id));
        xhr.setRequestHeader('authorization', auth.authorization);
        xhr.setRequestHeader('content-type', 'application/x-ndjson');
        xhr.setRequestHeader('idempotency-key', key);
        xhr.upload.onprogress = (e) => onBytes(e.loaded, e.lengthComputable ? e.total : body.size);
        const onAbort = () => xhr.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const settle = (result: ApiResult<UploadReply>) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        };
        xhr.onload = () => {
          if (xhr.status < 200 || xhr.status >= 300)
            return settle({ ok: false, error: failureFrom(xhr.status, xhr.responseText) });
          const parsed = AddWorkUnitsResponse.safeParse(parseJson(xhr.responseText));
          if (!parsed.success)
            return settle({
              ok: false,
              error: { status: xhr.status, code: 'bad_response', message: 'unexpected upload answer' },
            });
          settle({
            ok: true,
            value: { ...parsed.data, replayed: xhr.getResponseHeader('idempotent-replayed') === 'true' },
          });
        };
        xhr.onerror = () =>
          settle({ ok: false, error: unreachable(new Error('the connection broke during the upload')) });
        xhr.onabort = () => settle({ ok: false, error: cancelled });
        if (signal.aborted) return settle({ ok: false, error: cancelled });
        xhr.send(body);
      }),
  };
}
