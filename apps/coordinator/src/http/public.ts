// Public routes: health, discovery, projects, published results, and the receipt log (blobs by hash: blobs.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  API,
  ConsistencyProof,
  InclusionProof,
  ProjectList,
  JobId,
  Receipt,
  ResultLine,
  SignedTreeHead,
  WellKnown,
} from '@bricolage/protocol';
import { z } from 'zod';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { listedProjects } from './progress';
import { chargeLogReads, logReadLimit, perAddressLimit } from './middleware';
import { resultsStream } from './results-stream';
import { queryInteger } from './query';
import { parseWith, route } from './route';

export function publicRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  const byAddress = perAddressLimit(deps);
  const logReads = logReadLimit(deps);

  route(
    app,
    {
      method: 'get',
      path: '/v1/jobs/:job/public-results',
      operationId: 'downloadPublicResults',
      summary:
        "A job's finished work units as NDJSON (ResultLine per line), for anyone, when the job publishes them (publicResults); resume with ?after=<cursor>",
      description:
        'What a volunteer page reads to show the picture a demo job is making. A job that does not publish its results answers 403.',
      tag: 'public',
      query: z.object({
        after: queryInteger(z.number().int().nonnegative()).default(0),
        limit: queryInteger(z.number().int().positive().max(10_000)).default(500),
      }),
      response: { contentType: 'application/x-ndjson', schema: ResultLine, description: 'One ResultLine per line' },
    },
    [byAddress],
    async (c, { query }) => {
      const id = parseWith(JobId, c.req.param('job'), 'job id');
      const job = await deps.store.getJob(id);
      if (!job) throw new ApiError('not_found', `no job ${id}`);
      if (job.definition.publicResults !== true)
        throw new ApiError('forbidden', `job ${id} does not publish its results (publicResults is off)`);
      return c.body(resultsStream(deps.store, id, query.after, query.limit, { knownAnswers: false }), 200, {
        'content-type': 'application/x-ndjson',
      });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.health,
      operationId: 'getHealth',
      summary: 'Liveness',
      tag: 'public',
      response: { schema: z.object({ ok: z.literal(true) }), description: 'Alive' },
    },
    [],
    (c) => c.json({ ok: true as const }),
  );

  route(
    app,
    {
      method: 'get',
      path: API.wellKnown,
      operationId: 'getWellKnown',
      summary: "The coordinator's public key and where its log lives",
      tag: 'public',
      response: { schema: WellKnown, description: 'Discovery document' },
    },
    [],
    (c) =>
      c.json({
        name: 'Bricolage coordinator',
        version: deps.version,
        publicKey: deps.key.publicKey,
        api: API.openapi,
        log: { treeHead: API.treeHead, inclusion: API.inclusion, consistency: API.consistency },
        peers: deps.config.peers,
        honouredLogs: [...deps.config.honouredLogs],
      }),
  );

  route(
    app,
    {
      method: 'get',
      path: API.projects,
      operationId: 'listProjects',
      summary: 'The projects this grid serves, each with its active and paused jobs and how their results are checked',
      tag: 'public',
      response: { schema: ProjectList, description: 'Projects' },
    },
    [byAddress],
    async (c) => c.json({ projects: await listedProjects(deps) }),
  );

  route(
    app,
    {
      method: 'get',
      path: API.treeHead,
      operationId: 'getTreeHead',
      summary: 'The newest signed tree head of the receipt log',
      tag: 'log',
      response: { schema: SignedTreeHead, description: 'Signed tree head' },
    },
    [logReads],
    async (c) => c.json(await deps.log.treeHead()),
  );

  route(
    app,
    {
      method: 'get',
      path: API.inclusion,
      operationId: 'getInclusionProof',
      summary: 'Inclusion proof of the receipt at `index` in the tree of `size` leaves',
      tag: 'log',
      query: z.object({
        index: queryInteger(z.number().int().nonnegative()),
        size: queryInteger(z.number().int().positive()),
      }),
      response: { schema: InclusionProof, description: 'Audit path, leaf to root' },
    },
    [logReads],
    async (c, { query }) => {
      const size = await deps.store.logSize();
      if (query.size > size) throw new ApiError('bad_request', `the log has only ${size} entries`);
      if (query.index >= query.size) throw new ApiError('bad_request', 'index must be below size');
      return c.json({ index: query.index, size: query.size, path: await deps.log.inclusion(query.index, query.size) });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.consistency,
      operationId: 'getConsistencyProof',
      summary: 'Consistency proof between the trees of `from` and `to` leaves',
      tag: 'log',
      query: z.object({
        from: queryInteger(z.number().int().nonnegative()),
        to: queryInteger(z.number().int().nonnegative()),
      }),
      response: { schema: ConsistencyProof, description: 'Consistency proof' },
    },
    [logReads],
    async (c, { query }) => {
      const size = await deps.store.logSize();
      if (query.to > size) throw new ApiError('bad_request', `the log has only ${size} entries`);
      if (query.from > query.to) throw new ApiError('bad_request', 'from must not exceed to');
      // As transparency-dev/merkle: no proof from the empty tree, which every tree trivially extends.
      if (query.from === 0 && query.to > 0) throw new ApiError('bad_request', 'from must be at least 1');
      return c.json({ from: query.from, to: query.to, path: await deps.log.consistency(query.from, query.to) });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.entries,
      operationId: 'getLogEntries',
      summary: 'Log entries [start, end): signed receipts, at most 1000',
      tag: 'log',
      query: z
        .object({ start: queryInteger(z.number().int().nonnegative()), end: queryInteger(z.number().int().positive()) })
        .refine((q) => q.end > q.start && q.end - q.start <= 1000, 'need start < end and at most 1000 entries'),
      response: { schema: z.object({ entries: z.array(Receipt) }), description: 'Receipts in log order' },
    },
    [logReads],
    async (c, { query }) => {
      // A page of entries is the work of many reads: 1 per 10 receipts asked for, beyond the first.
      const extra = Math.ceil((query.end - query.start) / 10) - 1;
      if (extra > 0) chargeLogReads(deps, c, extra);
      const size = await deps.store.logSize();
      const end = Math.min(query.end, size);
      const stored = end > query.start ? await deps.store.receiptsBetween(query.start, end) : [];
      const proven = await deps.log.prove(stored);
      return c.json({ entries: proven.map((p) => p.receipt) });
    },
  );
}
