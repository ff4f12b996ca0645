// createClient: the coordinator's researcher API, typed from its OpenAPI document (openapi-fetch over the
// generated `paths`), with every answer checked against the protocol's schemas and every failure a value.
import {
  AddWorkUnitsResponse,
  authMessageBody,
  type BlobHash,
  ChallengeResponse,
  CreatedProject,
  type CreateJobRequest,
  type CreateProjectRequest,
  Job,
  type JobId,
  JobProgress,
  type ListedProject,
  Project,
  type ProjectId,
  ProjectList,
  ProjectStatus,
  ResultLine,
  type OpenFundedProjectRequest,
  domainMessage,
  sha256Hex,
  sign,
  TokenResponse,
  type VolunteerKey,
} from '@bricolage/protocol';
import createFetchClient, { type Client } from 'openapi-fetch';
import { z } from 'zod';
import { type ClientError, type ClientResult, answeredError, failure, success, thrownError } from './errors';
import type { paths } from './generated/openapi';
import { serverSentEvents, textLines } from './lines';
import { DEFAULT_RETRY, type Fetch, type RetryOptions, retrying } from './retry';
import { DEFAULT_TIMEOUT_MS, EVENTS_QUIET_FLOOR_MS, type QuietLimits, quietLimited } from './timeout';

export interface ClientOptions {
  /** The coordinator, e.g. `http://localhost:8787`. */
  readonly url: string;
  /** A project token (`brk_…`): researcher routes need one. */
  readonly token?: string;
  /** Defaults to the global fetch. */
  readonly fetch?: Fetch;
  readonly retry?: Partial<RetryOptions>;
  /**
   * How long a call waits on a coordinator that sends nothing, in ms (default 60 s; 0: as long as the transport
   * does): for its answer to begin (longer for a large upload), then between pieces of it. A quiet coordinator
   * ends the call with a `timeout` error.
   */
  readonly timeoutMs?: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export type JobEvent =
  | { readonly type: 'progress'; readonly progress: JobProgress }
  /** Sent once per completion, after the progress that shows it. */
  | { readonly type: 'completed'; readonly progress: JobProgress }
  /** The stream failed or ended; the iteration ends after this. */
  | { readonly type: 'error'; readonly error: ClientError };

export type ResultItem =
  /** `text` is the line exactly as the coordinator sent it, so that a download can store it unchanged. */
  | { readonly type: 'result'; readonly line: ResultLine; readonly text: string }
  | { readonly type: 'error'; readonly error: ClientError };

export interface AddedWorkUnits extends AddWorkUnitsResponse {
  /** The coordinator had already committed this batch under its Idempotency-Key: nothing was added now. */
  readonly replayed: boolean;
}

export interface BricolageClient {
  readonly url: string;
  /** The typed openapi-fetch client itself, for routes the helpers do not cover. */
  readonly api: Client<paths>;
  myProject(options?: CallOptions): Promise<ClientResult<Project>>;
  /** The public project list: each project with its open jobs and the key its jobs are signed with. */
  listProjects(options?: CallOptions): Promise<ClientResult<ListedProject[]>>;
  /** Needs the coordinator's operator token (`bro_…`), not a project token. */
  createProject(
    request: z.input<typeof CreateProjectRequest>,
    operatorToken: string,
    options?: CallOptions,
  ): Promise<ClientResult<CreatedProject>>;
  /**
   * Signs in with a volunteer key (challenge, signature, token) and opens its personal project, whose jobs the
   * key's credit pays for: the project and a new project token for it (issue 19).
   */
  openFundedProject(
    key: VolunteerSigningKey,
    request: z.input<typeof OpenFundedProjectRequest>,
    options?: CallOptions,
  ): Promise<ClientResult<CreatedProject>>;
  projectStatus(project: ProjectId, options?: CallOptions): Promise<ClientResult<ProjectStatus>>;
  listJobs(options?: CallOptions): Promise<ClientResult<Job[]>>;
  getJob(job: JobId, options?: CallOptions): Promise<ClientResult<{ job: Job; progress: JobProgress }>>;
  createJob(request: CreateJobRequest, options?: CallOptions): Promise<ClientResult<Job>>;
  pauseJob(job: JobId, options?: CallOptions): Promise<ClientResult<Job>>;
  resumeJob(job: JobId, options?: CallOptions): Promise<ClientResult<Job>>;
  cancelJob(job: JobId, options?: CallOptions): Promise<ClientResult<Job>>;
  /** Uploads bytes under their SHA-256 (idempotent: the same bytes again change nothing). */
  putBlob(bytes: Uint8Array, options?: CallOptions): Promise<ClientResult<{ hash: BlobHash; size: number }>>;
  /** One all-or-nothing batch of NDJSON lines; see `uploadWorkUnits` for many batches that resume. */
  addWorkUnits(
    job: JobId,
    ndjson: string,
    options?: CallOptions & { readonly idempotencyKey?: string },
  ): Promise<ClientResult<AddedWorkUnits>>;
  /** The job's Server-Sent Events: progress, then completed; an `error` item ends the iteration. */
  events(job: JobId, options?: CallOptions): AsyncGenerator<JobEvent>;
  /**
   * Finished work units in cursor order, after `after` (0: from the start), at most `limit` of them (default: all);
   * an `error` item ends the iteration.
   */
  results(
    job: JobId,
    options?: CallOptions & { readonly after?: number; readonly limit?: number },
  ): AsyncGenerator<ResultItem>;
}

/** A volunteer key: its public half as the coordinator names it, and the private half that signs. */
export interface VolunteerSigningKey {
  readonly publicKey: string;
  readonly privateKey: CryptoKey;
}

const StoredBlob = z.object({ hash: z.string(), size: z.number() });
const JobAndProgress = z.object({ job: Job, progress: JobProgress });
const Jobs = z.object({ jobs: z.array(Job) });

/** Checks an answer against its schema: a mismatch is the client's `bad_response`, not a crash later. */
function checked<S extends z.ZodType>(schema: S, data: unknown, what: string): ClientResult<z.output<S>> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return success(parsed.data);
  const issue = parsed.error.issues[0];
  return failure({
    code: 'bad_response',
    message: `the coordinator's ${what} does not match the API (${issue?.path.join('.') || 'body'}: ${issue?.message})`,
  });
}

export function createClient(options: ClientOptions): BricolageClient {
  const url = options.url.replace(/\/+$/, '');
  const baseFetch: Fetch = options.fetch ?? ((request) => globalThis.fetch(request));
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  /** Each attempt timed on its own (a 429's wait is not the coordinator's silence); an upload's by its size. */
  const sending = (limits: QuietLimits = {}): Fetch => retrying(quietLimited(baseFetch, timeoutMs, limits), retry);
  const api = createFetchClient<paths>({
    baseUrl: url,
    fetch: sending(),
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });

  /** Runs one openapi-fetch call: thrown errors and non-2xx answers become values. */
  async function call<T>(
    signal: AbortSignal | undefined,
    run: () => Promise<{ data?: unknown; error?: unknown; response: Response }>,
    schema: z.ZodType<T>,
    what: string,
  ): Promise<ClientResult<T>> {
    let answer: Awaited<ReturnType<typeof run>>;
    try {
      answer = await run();
    } catch (e) {
      return failure(thrownError(e, signal));
    }
    if (!answer.response.ok) return failure(answeredError(answer.response.status, answer.error));
    return checked(schema, answer.data, what);
  }

  const jobAction =
    (action: 'pause' | 'resume' | 'cancel') =>
    (job: JobId, o: CallOptions = {}) =>
      call(
        o.signal,
        () => api.POST(`/v1/jobs/{job}/${action}`, { params: { path: { job } }, signal: o.signal }),
        Job,
        `${action} answer`,
      );

  return {
    url,
    api,

    myProject: (o = {}) => call(o.signal, () => api.GET('/v1/projects/mine', { signal: o.signal }), Project, 'project'),

    listProjects: async (o = {}) => {
      const listed = await call(o.signal, () => api.GET('/v1/projects', { signal: o.signal }), ProjectList, 'projects');
      return listed.ok ? success(listed.value.projects) : listed;
    },

    createProject: (request, operatorToken, o = {}) =>
      call(
        o.signal,
        () =>
          api.POST('/v1/projects', {
            body: request,
            headers: { authorization: `Bearer ${operatorToken}` },
            signal: o.signal,
          }),
        CreatedProject,
        'new project',
      ),

    openFundedProject: async (key, request, o = {}) => {
      const volunteer = key.publicKey as VolunteerKey;
      const challenge = await call(
        o.signal,
        () => api.POST('/v1/auth/challenge', { body: { volunteer }, signal: o.signal }),
        ChallengeResponse,
        'challenge',
      );
      if (!challenge.ok) return challenge;
      const message = domainMessage('auth', authMessageBody(challenge.value.challenge, volunteer));
      const signature = await sign(key.privateKey, message);
      const token = await call(
        o.signal,
        () =>
          api.POST('/v1/auth/token', {
            body: { volunteer, challenge: challenge.value.challenge, signature },
            signal: o.signal,
          }),
        TokenResponse,
        'volunteer token',
      );
      if (!token.ok) return token;
      return call(
        o.signal,
        () =>
          api.POST('/v1/volunteer/project', {
            body: request,
            headers: { authorization: `Bearer ${token.value.token}` },
            signal: o.signal,
          }),
        CreatedProject,
        'personal project',
      );
    },

    projectStatus: (project, o = {}) =>
      call(
        o.signal,
        () => api.GET('/v1/projects/{project}/status', { params: { path: { project } }, signal: o.signal }),
        ProjectStatus,
        'project status',
      ),

    listJobs: async (o = {}) => {
      const listed = await call(o.signal, () => api.GET('/v1/jobs', { signal: o.signal }), Jobs, 'job list');
      return listed.ok ? success(listed.value.jobs) : listed;
    },

    getJob: (job, o = {}) =>
      call(
        o.signal,
        () => api.GET('/v1/jobs/{job}', { params: { path: { job } }, signal: o.signal }),
        JobAndProgress,
        'job',
      ),

    createJob: (request, o = {}) =>
      call(o.signal, () => api.POST('/v1/jobs', { body: request, signal: o.signal }), Job, 'new job'),

    pauseJob: jobAction('pause'),
    resumeJob: jobAction('resume'),
    cancelJob: jobAction('cancel'),

    putBlob: async (bytes, o = {}) => {
      const hash = (await sha256Hex(bytes)) as BlobHash;
      const stored = await call(
        o.signal,
        () =>
          api.PUT('/v1/blobs/{hash}', {
            params: { path: { hash } },
            body: bytes as never,
            bodySerializer: (b: unknown) => b,
            headers: { 'content-type': 'application/octet-stream' },
            signal: o.signal,
            fetch: sending({ bodyBytes: bytes.byteLength }),
          }),
        StoredBlob,
        'blob answer',
      );
      return stored.ok ? success({ hash, size: stored.value.size }) : stored;
    },

    addWorkUnits: async (job, ndjson, o = {}) => {
      let replayed = false;
      const added = await call(
        o.signal,
        async () => {
          const answer = await api.POST('/v1/jobs/{job}/workunits', {
            params: { path: { job } },
            body: ndjson,
            bodySerializer: (b: unknown) => b,
            headers: {
              'content-type': 'application/x-ndjson',
              ...(o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
            },
            signal: o.signal,
            // Its UTF-8 size is at most three bytes per UTF-16 unit: allowed for without encoding it twice.
            fetch: sending({ bodyBytes: ndjson.length * 3 }),
          });
          replayed = answer.response.headers.get('idempotent-replayed') === 'true';
          return answer;
        },
        AddWorkUnitsResponse,
        'upload answer',
      );
      return added.ok ? success({ ...added.value, replayed }) : added;
    },

    async *events(job, o = {}) {
      let body: ReadableStream<Uint8Array>;
      try {
        const answer = await api.GET('/v1/jobs/{job}/events', {
          params: { path: { job } },
          parseAs: 'stream',
          signal: o.signal,
          // Quiet up to 15 s between keep-alives: a shorter wait would cut every stream of a job without news.
          fetch: sending({ betweenPiecesMs: Math.max(timeoutMs, EVENTS_QUIET_FLOOR_MS) }),
        });
        if (!answer.response.ok || !answer.data) {
          yield { type: 'error', error: answeredError(answer.response.status, answer.error) };
          return;
        }
        body = answer.data as ReadableStream<Uint8Array>;
      } catch (e) {
        yield { type: 'error', error: thrownError(e, o.signal) };
        return;
      }
      try {
        for await (const { event, data } of serverSentEvents(body)) {
          if (event !== 'progress' && event !== 'completed') continue;
          const progress = checked(JobProgress, JSON.parse(data), `${event} event`);
          if (!progress.ok) {
            yield { type: 'error', error: progress.error };
            return;
          }
          yield { type: event, progress: progress.value };
        }
        yield { type: 'error', error: { code: 'network', message: 'the event stream ended' } };
      } catch (e) {
        yield { type: 'error', error: thrownError(e, o.signal) };
      }
    },

    async *results(job, o = {}) {
      let body: ReadableStream<Uint8Array>;
      try {
        const answer = await api.GET('/v1/jobs/{job}/results', {
          params: {
            path: { job },
            query: { after: o.after ?? 0, ...(o.limit === undefined ? {} : { limit: o.limit }) },
          },
          parseAs: 'stream',
          signal: o.signal,
        });
        if (!answer.response.ok) {
          yield { type: 'error', error: answeredError(answer.response.status, answer.error) };
          return;
        }
        // An empty download has no body to stream.
        if (!answer.data) return;
        body = answer.data as ReadableStream<Uint8Array>;
      } catch (e) {
        yield { type: 'error', error: thrownError(e, o.signal) };
        return;
      }
      try {
        for await (const text of textLines(body)) {
          if (text === '') continue;
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            // A line cut by a dropped connection: the download stops before it, and resumes there.
            yield { type: 'error', error: { code: 'network', message: 'the download was cut mid-line' } };
            return;
          }
          const line = checked(ResultLine, json, 'result line');
          if (!line.ok) {
            yield { type: 'error', error: line.error };
            return;
          }
          yield { type: 'result', line: line.value, text };
        }
      } catch (e) {
        yield { type: 'error', error: thrownError(e, o.signal) };
      }
    },
  };
}
