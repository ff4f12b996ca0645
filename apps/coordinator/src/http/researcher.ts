// Researcher routes: jobs, work-unit uploads, progress, results, pause/resume/cancel (blob uploads: blobs.ts).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  API,
  AddWorkUnitsResponse,
  CreateJobRequest,
  Job,
  type JobSpec,
  JobId,
  JobProgress,
  ResultLine,
  WorkUnitLine,
  inputCheckProblem,
  ioSizes,
  workUnitId,
  unknownFieldsProblem,
} from '@bricolage/protocol';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { admitJob } from '../admission/admit';
import { signatureProblem } from '../admission/signature';
import { priceProblem } from '../admission/price';
import { nextJobState } from '../rules/lifecycle';
import { decodeBase64, sha256Hex } from '../hash';
import { type BatchSummary, type JobRecord, type StagedWorkUnit, uploadKeyReused } from '../store/store';
import { blobReader } from './blobs';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { declaredLength, drain, hashedBody } from './hashed-body';
import { limitBody, projectAuth } from './middleware';
import { ndjsonLines } from './ndjson';
import { progressOf } from './progress';
import { resultsStream } from './results-stream';
import { queryInteger } from './query';
import { parseWith, route } from './route';

const hono = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
/** Lines staged per transaction; and bytes, so that large inputs are not held a thousand at a time. */
const CHUNK = 1000;
const CHUNK_BYTES = 16 * 1024 * 1024;

export function researcherRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  const auth = projectAuth(deps);
  const json = limitBody(deps.config.maxJsonBytes);
  const progressEveryMs = deps.config.progressEveryMs;

  const ownJob = async (project: string, raw: string | undefined): Promise<JobRecord> => {
    const id = parseWith(JobId, raw, 'job id');
    const job = await deps.store.getJob(id);
    if (!job || job.project !== project) throw new ApiError('not_found', `no job ${id} in this project`);
    return job;
  };

  route(
    app,
    {
      method: 'post',
      path: API.jobs,
      operationId: 'createJob',
      summary: 'Create a job',
      tag: 'researcher',
      auth: 'project',
      body: CreateJobRequest,
      strict: true,
      response: { schema: Job, description: 'The created job' },
    },
    [auth, json],
    async (c, { body }) => {
      const overpriced = priceProblem(body.costPerWorkUnit, body.timeBudgetMs, deps.config.credit);
      if (overpriced) throw ApiError.from(overpriced);
      const refused = await admitJob(body.spec, blobReader(deps));
      if (refused) throw ApiError.from(refused);
      const project = c.get('project').id;
      const job: JobRecord = {
        id: `job_${randomBytes(10).toString('hex').slice(0, 16)}` as JobId,
        project,
        state: 'active',
        definition: body,
        createdAt: deps.clock.now(),
      };
      // The project's key is checked in the transaction that creates the job: two first jobs signed by two keys,
      // sent at once, both passed when the check read the jobs before either was created.
      const unsigned = await deps.store.createJob(job, (existing) => signatureProblem(project, body, existing));
      if (unsigned) throw ApiError.from(unsigned);
      return c.json(toWire(job));
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.jobs,
      operationId: 'listJobs',
      summary: "List this project's jobs",
      tag: 'researcher',
      auth: 'project',
      response: { schema: z.object({ jobs: z.array(Job) }), description: 'Jobs' },
    },
    [auth],
    async (c) => c.json({ jobs: (await deps.store.listJobs(c.get('project').id)).map(toWire) }),
  );

  route(
    app,
    {
      method: 'get',
      path: hono(API.job('{job}')),
      operationId: 'getJob',
      summary: 'A job with its progress: work units per state, known-answer units, credit granted',
      tag: 'researcher',
      auth: 'project',
      response: { schema: z.object({ job: Job, progress: JobProgress }), description: 'Job and progress' },
    },
    [auth],
    async (c) => {
      const job = await ownJob(c.get('project').id, c.req.param('job'));
      return c.json({ job: toWire(job), progress: await progressOf(deps, job) });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: hono(API.workUnits('{job}')),
      operationId: 'addWorkUnits',
      summary: 'Add work units: a streamed NDJSON body, one WorkUnitLine per line; all or nothing',
      description:
        'With an `Idempotency-Key` header (1 to 200 visible ASCII characters, bare or as a quoted string), the ' +
        'upload is committed once per job and key: sending the same body again under the same key adds nothing ' +
        "and answers with the first upload's summary (and `Idempotent-Replayed: true`), so a client that lost " +
        'the reply can simply retry; another body under a used key is refused with 409 `conflict`.',
      tag: 'researcher',
      auth: 'project',
      headers: z.object({
        'Idempotency-Key': z.string().optional().openapi({ description: "The client's name for this upload" }),
      }),
      rawBody: {
        contentType: 'application/x-ndjson',
        description: 'One JSON object per line: {"input": base64, "tag"?: string, "expected"?: base64}',
      },
      response: { schema: AddWorkUnitsResponse, description: 'How many work units were added' },
    },
    [auth],
    async (c) => {
      const job = await ownJob(c.get('project').id, c.req.param('job'));
      const key = idempotencyKey(c.req.header('idempotency-key'));
      const body = hashedBody(
        c.req.raw.body,
        c.req.header('transfer-encoding') ? undefined : declaredLength(c.req.header('content-length')),
      );
      const answer = (summary: BatchSummary, replayed: boolean) => {
        if (replayed) c.header('Idempotent-Replayed', 'true');
        return c.json(addedWire(job.id, summary));
      };
      if (key) {
        const earlier = await deps.store.uploadByKey(job.id, key);
        if (earlier) {
          // Read only to be hashed: the same body again adds nothing; another body under the key is refused.
          await drain(body.stream, deps.config.maxUploadBytes);
          if (body.digest() !== earlier.bodyHash) throw ApiError.from(uploadKeyReused(key));
          return answer(earlier.summary, true);
        }
      }
      if (job.state === 'cancelled') throw new ApiError('job_not_active', `job ${job.id} was cancelled`);
      const sizes = ioSizes(job.definition.spec);
      const batch = randomBytes(12).toString('hex');
      let chunk: StagedWorkUnit[] = [];
      let chunkBytes = 0;
      let staged = 0;
      const stage = async () => {
        await deps.store.stageWorkUnits(job.id, batch, chunk, deps.clock.now());
        staged += chunk.length;
        chunk = [];
        chunkBytes = 0;
      };
      try {
        for await (const { line, number } of ndjsonLines(
          body.stream,
          deps.config.maxLineBytes,
          deps.config.maxUploadBytes,
        )) {
          const unit = parseLine(line, number, sizes, job.definition.spec);
          chunk.push(unit);
          chunkBytes += unit.input.length + (unit.expected?.length ?? 0);
          if (chunk.length >= CHUNK || chunkBytes >= CHUNK_BYTES) await stage();
        }
        if (chunk.length > 0) await stage();
        // A chunked body has no declared length to hold it to: Node's parser says whether it ended properly.
        if ((c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.complete === false)
          throw new ApiError('bad_request', 'the request body was cut before its end; nothing was added');
        const now = deps.clock.now();
        const committed = await deps.store.commitBatch(
          job.id,
          batch,
          staged,
          now,
          key ? { key, bodyHash: body.digest(), at: now } : undefined,
        );
        if (!committed.ok) throw ApiError.from(committed.error);
        return answer(committed.value.summary, committed.value.replayed);
      } catch (e) {
        await deps.store.abortBatch(job.id, batch);
        // The rest of the body is never read: tell the client not to reuse this connection.
        c.header('Connection', 'close');
        throw e;
      }
    },
  );

  route(
    app,
    {
      method: 'get',
      path: hono(API.events('{job}')),
      operationId: 'streamJobEvents',
      summary:
        'Server-Sent Events: a `progress` event (JobProgress) whenever the counts or the diagnosis change, and a `completed` event (JobProgress) when the job completes',
      tag: 'researcher',
      auth: 'project',
      response: { contentType: 'text/event-stream', schema: JobProgress, description: 'progress events' },
    },
    [auth],
    async (c) => {
      const job = await ownJob(c.get('project').id, c.req.param('job'));
      // A comment after 15 s without news keeps proxies (and our own idle timeout) from closing the stream.
      const keepAliveTicks = Math.max(1, Math.floor(Math.min(15_000, deps.config.idleTimeoutMs / 2) / progressEveryMs));
      return streamSSE(c, async (stream) => {
        let last = '';
        let lastState: string | null = null;
        let quietTicks = 0;
        let writing = Promise.resolve();
        const ended = new Promise<void>((resolve) => stream.onAbort(resolve));
        const unsubscribe = deps.progress.subscribe(job.id, ({ progress, key }) => {
          writing = writing.then(async () => {
            if (stream.aborted || stream.closed) return;
            if (key !== last) {
              await stream.writeSSE({ event: 'progress', data: JSON.stringify(progress) });
              // Once per completion (a job reopened by new work units may complete again), after its progress.
              if (progress.state === 'completed' && lastState !== 'completed')
                await stream.writeSSE({ event: 'completed', data: JSON.stringify(progress) });
              last = key;
              lastState = progress.state;
              quietTicks = 0;
            } else if (++quietTicks % keepAliveTicks === 0) {
              await stream.write(': keep-alive\n\n');
            }
          });
        });
        try {
          await ended;
        } finally {
          unsubscribe();
        }
      });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: hono(API.results('{job}')),
      operationId: 'downloadResults',
      summary:
        'Download finished work units as NDJSON (ResultLine per line, output base64), in cursor order; resume with ?after=<cursor>',
      tag: 'researcher',
      auth: 'project',
      query: z.object({
        after: queryInteger(z.number().int().nonnegative()).default(0),
        limit: queryInteger(z.number().int().positive().max(10_000_000)).optional(),
      }),
      response: { contentType: 'application/x-ndjson', schema: ResultLine, description: 'One ResultLine per line' },
    },
    [auth],
    async (c, { query }) => {
      const job = await ownJob(c.get('project').id, c.req.param('job'));
      const stream = resultsStream(deps.store, job.id, query.after, query.limit);
      return c.body(stream, 200, { 'content-type': 'application/x-ndjson' });
    },
  );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    route(
      app,
      {
        method: 'post',
        path: hono(API[action]('{job}')),
        operationId: `${action}Job`,
        summary:
          action === 'cancel'
            ? 'Cancel a job: unfinished work units stop; accepted results are kept'
            : action === 'pause'
              ? 'Pause a job: no new leases; results in flight are still accepted'
              : 'Resume a paused job',
        tag: 'researcher',
        auth: 'project',
        response: { schema: Job, description: 'The job in its new state' },
      },
      [auth],
      async (c) => {
        const job = await ownJob(c.get('project').id, c.req.param('job'));
        const next = nextJobState(job.state, action);
        if (!next.ok) throw ApiError.from(next.error);
        const state = await deps.store.setJobState(job.id, next.value);
        return c.json(toWire({ ...job, state }));
      },
    );
  }
}

const addedWire = (job: JobId, summary: BatchSummary): AddWorkUnitsResponse => ({
  job,
  added: summary.added,
  knownAnswer: summary.knownAnswer,
  firstWorkUnit: summary.first === null ? null : workUnitId(summary.first),
  lastWorkUnit: summary.last === null ? null : workUnitId(summary.last),
});

/** The `Idempotency-Key` header, bare or as the structured-field string its draft standard sends. */
function idempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  const key = header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  if (!/^[\x21-\x7e]{1,200}$/.test(key))
    throw new ApiError('bad_request', 'Idempotency-Key must be 1 to 200 visible ASCII characters');
  return key;
}

function parseLine(
  line: string,
  number: number,
  sizes: { input: number; output: number },
  spec: JobSpec,
): StagedWorkUnit {
  const fail = (message: string): never => {
    throw new ApiError('bad_request', `line ${number}: ${message}`, number - 1);
  };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return fail('not valid JSON');
  }
  const parsed = WorkUnitLine.safeParse(json);
  if (!parsed.success) return fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const unknown = unknownFieldsProblem(json, parsed.data);
  if (unknown) fail(unknown);
  const decode = (text: string, field: string): Uint8Array => decodeBase64(text) ?? fail(`${field} is not base64`);
  const input = decode(parsed.data.input, 'input');
  if (input.length !== sizes.input) fail(`input is ${input.length} bytes; the job's inputs total ${sizes.input}`);
  // The job's own bounds on its inputs: what its kernel cannot compute exactly never reaches a volunteer.
  const outOfBounds = inputCheckProblem(spec, input);
  if (outOfBounds) fail(outOfBounds);
  const expected = parsed.data.expected === undefined ? null : decode(parsed.data.expected, 'expected');
  if (expected && expected.length !== sizes.output)
    fail(`expected is ${expected.length} bytes; the job's outputs total ${sizes.output}`);
  return {
    input,
    inputHash: sha256Hex(input),
    expected,
    expectedHash: expected ? sha256Hex(expected) : null,
    tag: parsed.data.tag ?? null,
  };
}

export const toWire = (job: JobRecord): Job => ({
  id: job.id,
  project: job.project,
  state: job.state,
  createdAt: job.createdAt,
  definition: job.definition,
});
