// Every request the dashboard makes, through the typed client (packages/client, generated from the
// coordinator's OpenAPI document), in the shape the screens use: errors are values carrying the coordinator's
// own code and message, and an HTTP status (0: no answer; -1: cancelled here). Work-unit uploads go through
// the same client over an XMLHttpRequest transport (xhr-fetch.ts), which reports the bytes sent.
import {
  type AddedWorkUnits,
  type BricolageClient,
  type ClientError,
  type ClientResult,
  createClient,
} from '@bricolage/client';
import type { CreateJobRequest, Job, JobId, JobProgress, Project, ResultLine } from '@bricolage/protocol';
import { xhrFetch } from './xhr-fetch';

export interface ApiFailure {
  /** The HTTP status; 0 when no answer came (network), -1 when the request was cancelled. */
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
export type UploadReply = AddedWorkUnits;

export interface EventHandlers {
  progress(p: JobProgress): void;
  completed(p: JobProgress): void;
}

export interface ResearcherApi {
  readonly base: string;
  project(): Promise<ApiResult<Project>>;
  /**
   * The key the project's jobs must be signed with, from the grid's public project list (the key of its first
   * signed job), or null: its jobs may be unsigned.
   */
  signingKey(project: string): Promise<ApiResult<string | null>>;
  jobs(): Promise<ApiResult<Job[]>>;
  job(id: string): Promise<ApiResult<{ job: Job; progress: JobProgress }>>;
  /** Uploads bytes under their SHA-256 (which the client computes; `hash` is what the job names). */
  putBlob(hash: string, bytes: Uint8Array): Promise<ApiResult<void>>;
  createJob(request: CreateJobRequest): Promise<ApiResult<Job>>;
  control(id: string, action: JobAction): Promise<ApiResult<Job>>;
  /** Finished work units after `after`, in cursor order, at most `limit` of them. */
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

/** The client's error as the screens take it. */
export function failureOf(e: ClientError): ApiFailure {
  const status = e.status ?? (e.code === 'aborted' ? -1 : e.code === 'network' || e.code === 'timeout' ? 0 : 200);
  const code = e.code === 'aborted' ? 'cancelled' : e.code;
  return e.index === undefined
    ? { status, code, message: e.message }
    : { status, code, message: e.message, index: e.index };
}

const mapped = <T>(r: ClientResult<T>): ApiResult<T> => (r.ok ? r : { ok: false, error: failureOf(r.error) });

export function researcherApi(base: string, token: string): ResearcherApi {
  const client: BricolageClient = createClient({ url: base, token });
  const job = (id: string) => id as JobId;

  return {
    base,
    project: async () => mapped(await client.myProject()),
    signingKey: async (project) => {
      const listed = await client.listProjects();
      if (!listed.ok) return mapped(listed);
      const found = listed.value.find((p) => p.id === project);
      if (!found)
        return { ok: false, error: { status: 200, code: 'not_found', message: `project ${project} is not listed` } };
      return { ok: true, value: found.signingKey };
    },
    jobs: async () => mapped(await client.listJobs()),
    job: async (id) => mapped(await client.getJob(job(id))),
    putBlob: async (hash, bytes) => {
      const stored = await client.putBlob(bytes);
      if (!stored.ok) return mapped(stored);
      if (stored.value.hash !== hash)
        return { ok: false, error: { status: 200, code: 'hash_mismatch', message: `stored as ${stored.value.hash}` } };
      return { ok: true, value: undefined };
    },
    createJob: async (request) => mapped(await client.createJob(request)),
    control: async (id, action) =>
      mapped(
        await (action === 'pause'
          ? client.pauseJob(job(id))
          : action === 'resume'
            ? client.resumeJob(job(id))
            : client.cancelJob(job(id))),
      ),
    results: async (id, after, limit) => {
      const lines: ResultLine[] = [];
      const controller = new AbortController();
      for await (const item of client.results(job(id), { after, signal: controller.signal })) {
        if (item.type === 'error') return { ok: false, error: failureOf(item.error) };
        lines.push(item.line);
        if (lines.length >= limit) {
          // Enough for this read: the rest comes with the next, after the last cursor.
          controller.abort();
          break;
        }
      }
      return { ok: true, value: lines };
    },
    resultsFile: async (id) => {
      const parts: string[] = [];
      for await (const item of client.results(job(id))) {
        if (item.type === 'error') return { ok: false, error: failureOf(item.error) };
        parts.push(`${item.text}\n`);
      }
      return { ok: true, value: new Blob(parts, { type: 'application/x-ndjson' }) };
    },
    events: async (id, handlers, signal) => {
      for await (const event of client.events(job(id), { signal })) {
        if (event.type === 'error')
          return signal.aborted ? { ok: true, value: undefined } : { ok: false, error: failureOf(event.error) };
        handlers[event.type](event.progress);
      }
      return { ok: true, value: undefined };
    },
    addWorkUnits: async (id, body, key, onBytes, signal) => {
      // A client of its own for this batch, so that its transport reports this batch's bytes.
      const uploader = createClient({ url: base, token, fetch: xhrFetch(onBytes) });
      return mapped(await uploader.addWorkUnits(job(id), await body.text(), { idempotencyKey: key, signal }));
    },
  };
}
