// Volunteer routes: challenge/token authentication, lease, heartbeat, submit, stats, receipts.
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  API,
  ChallengeRequest,
  ChallengeResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  LEASE_FRAME_TYPE,
  acceptsLeaseFrame,
  type LeasedJob,
  type ProjectId,
  LeaseRequest,
  LeaseResponse,
  ReceiptsPage,
  SubmitRequest,
  SubmitResponse,
  TokenRequest,
  TokenResponse,
  VolunteerStats,
  authMessageBody,
  domainMessage,
  leaseId,
  leaseNumber,
  ReleaseRequest,
  ReleaseResponse,
  verify,
  workUnitId,
  writeLeaseFrame,
} from '@bricolage/protocol';
import { z } from 'zod';
import { queryInteger } from './query';
import { decodeBase64, encodeBase64, sha256Hex } from '../hash';
import type { GrantedLease, LeaseOutcome, LeaseQuery, NoLease, SubmitItem } from '../store/store';
import { bucketOf } from './client-address';
import { ApiError } from './errors';
import type { Deps, Env } from './env';
import { limitBody, perAddressLimit, refuseBanned, volunteerAuth } from './middleware';
import { route } from './route';
import type { ShutOut } from '../volunteers/recent';

export function volunteerRoutes(app: OpenAPIHono<Env>, deps: Deps): void {
  const json = limitBody(deps.config.maxJsonBytes);
  const auth = volunteerAuth(deps);
  const byAddress = perAddressLimit(deps);

  route(
    app,
    {
      method: 'post',
      path: API.challenge,
      operationId: 'requestChallenge',
      summary: 'Ask for a single-use challenge to sign with the volunteer key',
      tag: 'volunteer',
      body: ChallengeRequest,
      response: { schema: ChallengeResponse, description: 'The challenge and when it expires' },
    },
    [byAddress, json],
    async (c, { body }) => {
      const expiresAt = deps.clock.now() + deps.config.challengeSeconds * 1000;
      return c.json({ challenge: deps.challenges.issue(body.volunteer, expiresAt), expiresAt });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: API.token,
      operationId: 'requestToken',
      summary: 'Trade a signed challenge for a short-lived bearer token; each challenge works once',
      tag: 'volunteer',
      body: TokenRequest,
      response: { schema: TokenResponse, description: 'A bearer token for the volunteer routes' },
    },
    [byAddress, json],
    async (c, { body }) => {
      const now = deps.clock.now();
      const replayed = () => new ApiError('replayed', 'unknown, expired or already used challenge');
      const opened = deps.challenges.open(body.challenge, body.volunteer, now);
      if (!opened.ok) throw replayed();
      const message = domainMessage('auth', authMessageBody(body.challenge, body.volunteer));
      if (!(await verify(body.volunteer, message, body.signature)))
        throw new ApiError('bad_signature', 'the signature does not verify with this volunteer key');
      await refuseBanned(deps, body.volunteer);
      // A key never seen before is a new identity: each address may bring only so many into existence.
      if (!(await deps.store.isVolunteer(body.volunteer))) {
        const decision = deps.newIdentities.take(bucketOf(c.get('client')));
        if (!decision.ok)
          throw ApiError.rateLimited('too many new volunteer keys from this address', decision.retryAfter);
      }
      // Consumed only after the signature checks out, so a forger cannot burn someone else's challenge.
      // It records where the key comes from too: leasing keeps keys of one address off the same units.
      const from = { address: c.get('client'), bucket: bucketOf(c.get('client')) };
      if (!(await deps.store.consumeChallenge(opened.nonce, body.volunteer, opened.expiresAt, now, from)))
        throw replayed();
      const expiresAt = deps.clock.now() + deps.config.tokenSeconds * 1000;
      return c.json({ token: deps.tokens.mint(body.volunteer, expiresAt), expiresAt });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: API.lease,
      operationId: 'leaseWorkUnits',
      summary: 'Lease up to `max` work units this device can run',
      description:
        `Small inputs ride in the answer, base64 in \`input\`. A client that sends \`accept: ${LEASE_FRAME_TYPE}\` ` +
        "gets the same answer as a frame instead: a 4-byte big-endian length, the answer's JSON of that many bytes " +
        "with every `input` null, then the carried inputs' bytes back to back, in lease order, each lease that has " +
        'one saying how many are its own (`inlineBytes`).',
      tag: 'volunteer',
      auth: 'volunteer',
      body: LeaseRequest,
      headers: z.object({
        accept: z
          .string()
          .optional()
          .openapi({ description: `\`${LEASE_FRAME_TYPE}\` for the answer as a frame (its JSON, then the inputs)` }),
      }),
      response: {
        schema: LeaseResponse,
        description: `Leases, the jobs they belong to, or when to retry (as \`${LEASE_FRAME_TYPE}\` when asked)`,
      },
    },
    [auth, json],
    async (c, { body }) => {
      const now = deps.clock.now();
      const scopes = leaseScopes(body.project, body.projects);
      deps.recent.seen(c.get('volunteer'), body.capabilities, scopes.length === 1 ? (scopes[0] ?? null) : null, now);
      // One store lease per chosen project, until `max` are granted: the choice needs nothing of the store.
      const granted: GrantedLease[] = [];
      const described: LeaseOutcome['jobs'][number][] = [];
      const refusals: NoLease[] = [];
      // The key's held leases come back once, with the first scope's answer, for all the scopes chosen.
      let resume: LeaseQuery['resume'] =
        body.resumeAfter === undefined
          ? undefined
          : {
              after: body.resumeAfter === null ? 0 : leaseNumber(body.resumeAfter),
              projects: scopes.includes(undefined) ? null : (scopes as ProjectId[]),
            };
      let resumed: Pick<LeaseOutcome, 'resumed' | 'resumeNext'> = {};
      for (const project of scopes) {
        if (granted.length >= body.max || resumed.resumeNext !== undefined) break;
        const query = {
          volunteer: c.get('volunteer'),
          capabilities: body.capabilities,
          max: body.max - granted.length,
          ...(project ? { project: project as ProjectId } : {}),
          ...(resume ? { resume } : {}),
          ...(body.request ? { request: body.request } : {}),
        };
        resume = undefined;
        const outcome = await deps.store.lease(query, now);
        if (query.resume) resumed = { resumed: outcome.resumed ?? 0, resumeNext: outcome.resumeNext };
        granted.push(...outcome.granted);
        described.push(...outcome.jobs);
        if (outcome.none) refusals.push(outcome.none);
      }
      const heldBack = granted.length > 0 ? null : shutOut(refusals);
      deps.recent.standing(c.get('volunteer'), heldBack);
      const backends = new Map(granted.map((g) => [g.job, g.backend]));
      const jobs: LeasedJob[] = [];
      const publishing = new Set<string>();
      for (const [id, backend] of backends) {
        const job = described.find((j) => j.id === id);
        // The lease step describes every job it grants a lease of (LeaseOutcome.jobs): a lease sent without its job
        // could not be run, so a step that broke that is a bug to surface, not a lease to drop from the answer.
        if (!job) throw new Error(`the lease step granted a lease of job ${id} without describing it`);
        if (job.definition.publicResults === true) publishing.add(id);
        jobs.push({
          id: job.id,
          project: job.project,
          name: job.definition.name,
          spec: job.definition.spec,
          comparator: job.definition.comparator,
          timeBudgetMs: job.definition.timeBudgetMs,
          backend,
          signature: job.definition.signature ?? null,
        });
      }
      // Inputs past the response's inline budget are fetched by hash, as the volunteer comes to them.
      let inline = deps.config.inlineLeaseBytes;
      const carried = granted.map((g) => {
        if (g.input === null || g.input.length > inline) return null;
        inline -= g.input.length;
        return g.input;
      });
      // The volunteer page asks for its inputs as bytes after the answer's JSON (lease-frame.ts); others get
      // them inline as base64.
      const framed = acceptsLeaseFrame(c.req.header('accept'));
      const answer: LeaseResponse = {
        leases: granted.map((g, i) => ({
          lease: leaseId(g.lease),
          workUnit: workUnitId(g.workUnit),
          job: g.job,
          deadline: g.deadline,
          inputHash: g.inputHash as never,
          input: !framed && carried[i] ? encodeBase64(carried[i]) : null,
          // Only where the job publishes its results anyway: a private job's labels stay the researcher's.
          ...(publishing.has(g.job) && g.tag !== null ? { tag: g.tag } : {}),
        })),
        jobs,
        retryAfter: granted.length === 0 ? retryAfter(refusals, now) : null,
        // The key's room is one over all projects: full in one scope is full in all.
        ...(granted.length === 0 ? { full: refusals.some((r) => r.why === 'full') } : {}),
        // The page says why it is given nothing, rather than "no work" while the grid has plenty.
        ...(heldBack ? { heldBack } : {}),
        ...(resumed.resumed !== undefined ? { resumed: resumed.resumed } : {}),
        ...(resumed.resumeNext !== undefined ? { resumeNext: leaseId(resumed.resumeNext) } : {}),
      };
      c.header('vary', 'accept');
      if (!framed) return c.json(answer);
      return c.body(writeLeaseFrame(answer, carried), 200, {
        'content-type': LEASE_FRAME_TYPE,
      });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: API.heartbeat,
      operationId: 'renewLeases',
      summary: 'Extend the deadlines of leases still being computed',
      tag: 'volunteer',
      auth: 'volunteer',
      body: HeartbeatRequest,
      response: { schema: HeartbeatResponse, description: 'New deadlines, or the state of leases that ended' },
    },
    [auth, json],
    async (c, { body }) => {
      deps.recent.heard(c.get('volunteer'), deps.clock.now());
      const answer = await deps.store.heartbeat(
        c.get('volunteer'),
        body.leases.map(leaseNumber),
        deps.clock.now(),
        body.jobs ?? [],
      );
      return c.json({
        leases: answer.leases.map((r) => ({ lease: leaseId(r.lease), deadline: r.deadline, state: r.state })),
        // Only to a page that asked about jobs: others see the answer they always did.
        ...(body.jobs ? { withdrawn: answer.withdrawn.map(leaseId) } : {}),
      });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: API.release,
      operationId: 'releaseLeases',
      summary:
        'Give back leases this page will not compute (it is leaving), and those granted under its lease requests still out: they go back into the queue at once',
      tag: 'volunteer',
      auth: 'volunteer',
      body: ReleaseRequest,
      response: { schema: ReleaseResponse, description: 'How many of them were open and are given back' },
    },
    [auth, json],
    async (c, { body }) => {
      const released = await deps.store.release(
        c.get('volunteer'),
        body.leases.map(leaseNumber),
        deps.clock.now(),
        body.requests ?? [],
      );
      return c.json({ released });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: API.submit,
      operationId: 'submitResults',
      summary:
        'Return results for leases. All or nothing: a rejected item rejects the batch and the error names its index; repeating an identical result is harmless',
      tag: 'volunteer',
      auth: 'volunteer',
      body: SubmitRequest,
      response: { schema: SubmitResponse, description: 'How many results were accepted' },
    },
    [auth, json],
    async (c, { body }) => {
      const items: SubmitItem[] = body.results.map((r, index) => {
        if (r.kind === 'error') return { kind: 'error', lease: leaseNumber(r.lease), code: r.code, message: r.message };
        const output = decodeBase64(r.output);
        if (!output) throw new ApiError('bad_request', `results[${index}]: output is not base64`, index);
        if (sha256Hex(output) !== r.outputHash)
          throw new ApiError('hash_mismatch', `results[${index}]: output does not hash to outputHash`, index);
        return { kind: 'ok', lease: leaseNumber(r.lease), output, outputHash: r.outputHash, backend: r.backend };
      });
      deps.recent.heard(c.get('volunteer'), deps.clock.now());
      const result = await deps.store.submit(c.get('volunteer'), items, deps.clock.now());
      if (!result.ok) throw ApiError.from(result.error);
      return c.json(result.value);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.me,
      operationId: 'getVolunteerStats',
      summary: "The volunteer's own counters and trust",
      tag: 'volunteer',
      auth: 'volunteer',
      response: { schema: VolunteerStats, description: 'Counters' },
    },
    [auth],
    async (c) => c.json(await deps.store.volunteerStats(c.get('volunteer'))),
  );

  route(
    app,
    {
      method: 'get',
      path: API.receipts,
      operationId: 'listReceipts',
      summary: "The volunteer's receipts after log index `after`, each with its inclusion proof and a signed tree head",
      tag: 'volunteer',
      auth: 'volunteer',
      query: z.object({
        after: queryInteger(z.number().int().min(-1)).default(-1),
        limit: queryInteger(z.number().int().min(1).max(1000)).default(100),
      }),
      response: { schema: ReceiptsPage, description: 'A page of proven receipts' },
    },
    [auth],
    async (c, { query }) => {
      const stored = await deps.store.receiptsFor(c.get('volunteer'), query.after, query.limit);
      const receipts = await deps.log.prove(stored);
      const last = stored.at(-1);
      return c.json({ receipts, next: last ? last.index : null });
    },
  );
}

/** Seconds a volunteer given nothing waits before asking again when the grid has no work for it. */
export const NO_WORK_RETRY_S = 10;
/**
 * ... and when it holds as many leases as it may: its own results in flight free that room within moments,
 * and a fast tab told "10 s" sat idle that long with work left (a 2-tab farm stopped as "no work" with 700
 * units unsent). A new key's room is small (rules/lease-limits.ts), so it is full often.
 */
export const FULL_RETRY_S = 1;
/** ... and when it stopped voting: nothing will change for it, so it need not ask often. */
export const NOT_VOTING_RETRY_S = 3600;

/** Whether the key's own standing kept it from leasing (whichever project it asked), for job diagnoses. */
function shutOut(refusals: readonly NoLease[]): ShutOut | null {
  for (const r of refusals) {
    if (r.why === 'out_of_allowance') return { why: 'errors', until: r.until };
    if (r.why === 'not_voting') return { why: 'not_voting' };
  }
  return null;
}

/** When to ask again, from why each scope leased nothing: the soonest any of them may change. */
function retryAfter(refusals: readonly NoLease[], now: number): number {
  const seconds = refusals.map((r) =>
    r.why === 'full'
      ? FULL_RETRY_S
      : r.why === 'out_of_allowance'
        ? Math.max(1, Math.ceil((r.until - now) / 1000))
        : r.why === 'not_voting'
          ? NOT_VOTING_RETRY_S
          : NO_WORK_RETRY_S,
  );
  return seconds.length > 0 ? Math.min(...seconds) : NO_WORK_RETRY_S;
}

/**
 * The projects to lease from, one store lease each: the one named (`project`), those chosen (`projects`),
 * both (their intersection), or every project (`undefined`, one lease over all).
 */
export function leaseScopes(
  project: string | undefined,
  projects: readonly string[] | undefined,
): (string | undefined)[] {
  if (projects === undefined) return [project];
  const chosen = [...new Set(projects)];
  return project === undefined ? chosen : chosen.filter((p) => p === project);
}
