// A table of malformed and hostile requests against a real coordinator over loopback HTTP: each must get
// its exact 4xx `{ error: { code, message } }` and leave every table as it was, in SQLite and in Postgres.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API,
  type Ed25519KeyPair,
  ErrorBody,
  type ErrorCode,
  type Lease,
  type LeaseResponse,
  type SubmittedResult,
  authMessageBody,
  domainMessage,
  fromBase64,
  generateSigningKeyPair,
  sign,
  toBase64,
  toBase64Url,
  utf8,
} from '@bricolage/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../clock';
import type { CoordinatorConfig } from '../config';
import { sha256Hex } from '../hash';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher, SQUARE_WGSL, square, squareInput, squareJob } from '../testing/fixtures';
import { describeBackends, type TestDatabase } from '../testing/backends';
import { useGrid } from '../testing/grid-fixture';
import { GPU_CAPABILITIES, SimVolunteer, okResult } from '../testing/sim-volunteer';

// ---- requests and expectations ----

interface Req {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Send the body in pieces without a Content-Length (chunked transfer encoding). */
  readonly chunked?: boolean;
}

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

interface Expected {
  readonly status: number;
  readonly code: ErrorCode;
  /** The batch index the error must name. */
  readonly index?: number;
  readonly message?: RegExp;
}

interface Case extends Expected {
  readonly name: string;
  readonly req: (w: World) => Req | Promise<Req>;
}

/**
 * One request on a connection of its own. A server that answers before reading the whole body (a rejected
 * upload) may then drop the connection, and a pooled client would send the next case down a dead socket.
 */
function send(url: string, r: Req): Promise<Reply> {
  const headers: Record<string, string> = { ...r.headers };
  if (r.token !== undefined) headers.authorization = `Bearer ${r.token}`;
  if (r.type !== undefined) headers['content-type'] = r.type;
  const body = r.body === undefined ? null : Buffer.from(typeof r.body === 'string' ? utf8(r.body) : r.body);
  if (body && !r.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url + r.path, { method: r.method, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    // Once the answer is in, a write cut short by the server closing early is no failure of the case.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    if (body && r.chunked) for (let i = 0; i < body.length; i += 4096) req.write(body.subarray(i, i + 4096));
    req.end(body && !r.chunked ? body : undefined);
  });
}

const json = (method: string, path: string, body: unknown, token?: string): Req => ({
  method,
  path,
  type: 'application/json',
  body: JSON.stringify(body),
  ...(token === undefined ? {} : { token }),
});
const get = (path: string, token?: string): Req => ({ method: 'GET', path, ...(token === undefined ? {} : { token }) });
const bare = (method: string, path: string, token?: string): Req => ({
  method,
  path,
  ...(token === undefined ? {} : { token }),
});
const ndjson = (job: string, lines: readonly string[], token?: string): Req => ({
  method: 'POST',
  path: API.workUnits(job),
  type: 'application/x-ndjson',
  body: `${lines.join('\n')}\n`,
  ...(token === undefined ? {} : { token }),
});

const wuLine = (input: Uint8Array, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ input: toBase64(input), ...extra });
/** Lines with inputs the database has never seen, so a leak of staged inputs would show. */
const freshLines = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => wuLine(squareInput(from + i)));
const withBadLine = (lines: string[], at: number, bad: string) => lines.map((l, i) => (i === at - 1 ? bad : l));

const inputOf = (l: Lease) => fromBase64(l.input ?? '');
type OkResult = Extract<SubmittedResult, { kind: 'ok' }>;
const good = (l: Lease) => okResult(l, square(inputOf(l))) as OkResult;
const wrong = (l: Lease) => okResult(l, square(squareInput(999_999))) as OkResult;
const submit = (results: readonly unknown[], token?: string) => json('POST', API.submit, { results }, token);

// ---- the database, read through a second connection ----

type Dump = Map<string, string[]>;

function diffDumps(before: Dump, after: Dump): string[] {
  const out: string[] = [];
  const short = (s: string) => (s.length > 160 ? `${s.slice(0, 160)}…` : s);
  for (const table of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(table) ?? [];
    const b = after.get(table) ?? [];
    if (a.length === b.length && a.every((row, i) => row === b[i])) continue;
    const had = new Set(a);
    const has = new Set(b);
    const removed = a.filter((r) => !has.has(r));
    const added = b.filter((r) => !had.has(r));
    out.push(`${table}: ${a.length} → ${b.length} rows`);
    for (const r of removed.slice(0, 3)) out.push(`  - ${short(r)}`);
    for (const r of added.slice(0, 3)) out.push(`  + ${short(r)}`);
    if (removed.length + added.length > 6) out.push(`  … ${removed.length} removed, ${added.length} added in all`);
  }
  return out;
}

interface Target {
  readonly url: string;
  readonly db: TestDatabase;
}

/** Sends one request and holds it to the contract: its exact 4xx JSON error, and not one row changed. */
async function expectRejected(target: Target, req: Req, expected: Expected): Promise<void> {
  const before = await target.db.dump();
  const { status, contentType, text } = await send(target.url, req);
  expect(status, text).toBeLessThan(500);
  expect({ status, text }).toMatchObject({ status: expected.status });
  expect(contentType).toMatch(/^application\/json\b/);
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(ErrorBody.safeParse(body).success, text).toBe(true);
  for (const key of Object.keys(body.error)) expect(['code', 'message', 'index']).toContain(key);
  expect(body.error.code).toBe(expected.code);
  expect(String(body.error.message).length).toBeGreaterThan(0);
  if (expected.index !== undefined) expect(body.error.index).toBe(expected.index);
  if (expected.message) expect(body.error.message).toMatch(expected.message);
  expect(diffDumps(before, await target.db.dump())).toEqual([]);
}

// ---- the world the hostile requests aim at ----

const UNLIMITED = { perSecond: 1_000_000, burst: 1_000_000_000 };
const CAPS = { maxJsonBytes: 16 * 1024, maxBlobBytes: 4096, maxLineBytes: 1024, maxUploadBytes: 256 * 1024 };
const CONFIG: Partial<CoordinatorConfig> = {
  ...CAPS,
  // The manual clock never refills token buckets, so the main coordinator gets buckets it cannot empty.
  perAddress: UNLIMITED,
  perVolunteer: UNLIMITED,
  perProject: UNLIMITED,
  logReads: UNLIMITED,
  newIdentities: UNLIMITED,
  tokenSeconds: 60,
  // Long enough that no challenge expires during the table: the token route garbage-collects expired ones.
  challengeSeconds: 3600,
  // The sweeper would expire the late lease on its own schedule, racing the before/after dumps; tests sweep.
  sweepMs: 3_600_000,
};

interface World {
  readonly url: string;
  /** Project P's token; P owns `job` and `cancelledJob`. */
  readonly token: string;
  /** Project Q's token; Q owns `foreignJob`. */
  readonly foreignToken: string;
  readonly job: string;
  readonly cancelledJob: string;
  readonly foreignJob: string;
  readonly shader: string;
  readonly alice: SimVolunteer;
  readonly bob: SimVolunteer;
  /** A volunteer token whose hour has passed on the manual clock. */
  readonly expiredToken: string;
  /**
   * Leases of wu_1..wu_8 of `job`: [0] validated with bob's, [1] returned and waiting, the rest out.
   * [4] to [7] are reserved for the wrong-size cases, so that if the coordinator wrongly accepts one,
   * the other cases still find the state they expect.
   */
  readonly aliceLeases: readonly Lease[];
  /** Leases of the same work units: [0] validated with alice's, the others out. */
  readonly bobLeases: readonly Lease[];
  /** Alice's lease on a work unit of `cancelledJob`, cancelled after it was leased. */
  readonly cancelledLease: Lease;
  /** Alice's lease on `foreignJob` (5 s leases), past its deadline. */
  readonly lateLease: Lease;
  /** A challenge issued to `pending.key`, never used. */
  readonly pending: { readonly key: Ed25519KeyPair; readonly challenge: string };
  /** A challenge already traded for a token, with the signature that traded it. */
  readonly used: { readonly volunteer: string; readonly challenge: string; readonly signature: string };
  readonly stranger: Ed25519KeyPair;
  readonly logSize: number;
}

const signAuth = (pair: Ed25519KeyPair, challenge: string, volunteer = pair.publicKeyText) =>
  sign(pair.privateKey, domainMessage('auth', authMessageBody(challenge, volunteer)));

async function postOk<T>(url: string, req: Req): Promise<T> {
  const { status, text } = await send(url, req);
  if (status !== 200) throw new Error(`setup ${req.method} ${req.path} failed: ${status} ${text}`);
  return JSON.parse(text) as T;
}

async function buildWorld(coordinator: Coordinator, clock: ManualClock): Promise<World> {
  const url = coordinator.url;
  const p = await coordinator.createProject('hostile');
  const q = await coordinator.createProject('foreign');
  const researcher = new Researcher(url, p.token);
  const foreigner = new Researcher(url, q.token);
  const job = await researcher.createSquareJob({ leaseSeconds: 3600 });
  expect((await researcher.addSquares(job, 1, 8)).status).toBe(200);
  const cancelledJob = await researcher.createSquareJob({ name: 'to cancel', leaseSeconds: 3600 });
  expect((await researcher.addSquares(cancelledJob, 100, 2)).status).toBe(200);
  const foreignJob = await foreigner.createSquareJob({ name: 'late', leaseSeconds: 5 });
  expect((await foreigner.addSquares(foreignJob, 200, 2)).status).toBe(200);

  const alice = await SimVolunteer.create(url);
  const bob = await SimVolunteer.create(url);
  const carol = await SimVolunteer.create(url);
  const lease = (v: SimVolunteer, project: string, max: number) =>
    postOk<LeaseResponse>(url, json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max, project }, v.bearer));

  // With `job` paused, alice's one lease in P comes from the job about to be cancelled.
  await postOk(url, bare('POST', API.pause(job), p.token));
  const [cancelledLease] = (await lease(alice, p.project, 1)).leases;
  await postOk(url, bare('POST', API.resume(job), p.token));
  await postOk(url, bare('POST', API.cancel(cancelledJob), p.token));

  const aliceLeases = (await lease(alice, p.project, 8)).leases;
  // Units are drawn at random: bob takes all eight, so that his leases are of the same units as alice's.
  const bobLeases = (await lease(bob, p.project, 8)).leases;
  const [lateLease] = (await lease(alice, q.project, 1)).leases;
  expect(aliceLeases.map((l) => l.workUnit)).toEqual(['wu_1', 'wu_2', 'wu_3', 'wu_4', 'wu_5', 'wu_6', 'wu_7', 'wu_8']);
  expect(bobLeases.map((l) => l.workUnit)).toEqual(['wu_1', 'wu_2', 'wu_3', 'wu_4', 'wu_5', 'wu_6', 'wu_7', 'wu_8']);
  if (!cancelledLease || !lateLease) throw new Error('setup: leases missing');
  expect(cancelledLease.job).toBe(cancelledJob);
  expect(lateLease.job).toBe(foreignJob);
  const [a0, a1] = aliceLeases as [Lease, Lease];
  expect((await alice.submit([good(a0), good(a1)])).status).toBe(200);
  expect((await bob.submit([good(bobLeases[0] as Lease)])).status).toBe(200);

  const pendingKey = await generateSigningKeyPair();
  const { challenge } = await postOk<{ challenge: string }>(
    url,
    json('POST', API.challenge, { volunteer: pendingKey.publicKeyText }),
  );
  const usedKey = await generateSigningKeyPair();
  const used = await postOk<{ challenge: string }>(
    url,
    json('POST', API.challenge, { volunteer: usedKey.publicKeyText }),
  );
  const usedSignature = await signAuth(usedKey, used.challenge);
  await postOk(
    url,
    json('POST', API.token, { volunteer: usedKey.publicKeyText, challenge: used.challenge, signature: usedSignature }),
  );

  // Past every token and the late lease's deadline; alice and bob sign fresh challenges, carol does not.
  clock.advance(61_000);
  await alice.authenticate();
  await bob.authenticate();

  const head = (await (await fetch(url + API.treeHead)).json()) as { head: { size: number } };
  expect(head.head.size).toBe(2);
  return {
    url,
    token: p.token,
    foreignToken: q.token,
    job,
    cancelledJob,
    foreignJob,
    shader: sha256Hex(utf8(SQUARE_WGSL)),
    alice,
    bob,
    expiredToken: carol.bearer,
    aliceLeases,
    bobLeases,
    cancelledLease,
    lateLease,
    pending: { key: pendingKey, challenge },
    used: { volunteer: usedKey.publicKeyText, challenge: used.challenge, signature: usedSignature },
    stranger: await generateSigningKeyPair(),
    logSize: head.head.size,
  };
}

// ---- the table ----

const UNKNOWN_JOB = 'job_0000000000000000';
const UNKNOWN_HASH = 'ab'.repeat(32);
const A = (w: World, i: number) => w.aliceLeases[i] as Lease;
const B = (w: World, i: number) => w.bobLeases[i] as Lease;
const createJob = (w: World, patch: Record<string, unknown>) =>
  json('POST', API.jobs, { ...squareJob(), ...patch }, w.token);
const withSpec = (w: World, patch: Record<string, unknown>) =>
  createJob(w, { spec: { ...squareJob().spec, ...patch } });
const randomSignature = toBase64Url(new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff));
const tokenFor = (challenge: string, volunteer: string, signature: string) =>
  json('POST', API.token, { volunteer, challenge, signature });

const CASES: readonly Case[] = [
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

  // Challenges and tokens.
  {
    name: 'challenge: malformed JSON',
    req: () => ({ method: 'POST', path: API.challenge, type: 'application/json', body: '{volunteer}' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: text/plain',
    req: (w) => ({ ...json('POST', API.challenge, { volunteer: w.stranger.publicKeyText }), type: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'challenge: volunteer missing',
    req: () => json('POST', API.challenge, {}),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: volunteer a number',
    req: () => json('POST', API.challenge, { volunteer: 7 }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: volunteer not a key',
    req: () => json('POST', API.challenge, { volunteer: 'alice@example.org' }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'challenge: a 10,000-character volunteer',
    req: () => json('POST', API.challenge, { volunteer: 'A'.repeat(10_000) }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'token: a signature that does not verify',
    req: (w) => tokenFor(w.pending.challenge, w.pending.key.publicKeyText, randomSignature),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'token: the challenge signed by a different key',
    req: async (w) =>
      tokenFor(
        w.pending.challenge,
        w.pending.key.publicKeyText,
        await signAuth(w.stranger, w.pending.challenge, w.pending.key.publicKeyText),
      ),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: 'token: signed without the auth domain prefix',
    req: async (w) =>
      tokenFor(
        w.pending.challenge,
        w.pending.key.publicKeyText,
        await sign(w.pending.key.privateKey, utf8(authMessageBody(w.pending.challenge, w.pending.key.publicKeyText))),
      ),
    status: 401,
    code: 'bad_signature',
  },
  {
    name: "token: another volunteer's challenge, validly signed by the claimant (must not burn it)",
    req: async (w) =>
      tokenFor(w.pending.challenge, w.stranger.publicKeyText, await signAuth(w.stranger, w.pending.challenge)),
    status: 401,
    code: 'replayed',
  },
  {
    name: 'token: a replayed challenge and signature',
    req: (w) => tokenFor(w.used.challenge, w.used.volunteer, w.used.signature),
    status: 401,
    code: 'replayed',
  },
  {
    name: 'token: a challenge never issued',
    req: async (w) => {
      const made = toBase64Url(new Uint8Array(32).fill(9));
      return tokenFor(made, w.stranger.publicKeyText, await signAuth(w.stranger, made));
    },
    status: 401,
    code: 'replayed',
  },
  {
    name: 'token: a short signature',
    req: (w) => tokenFor(w.pending.challenge, w.pending.key.publicKeyText, randomSignature.slice(0, 40)),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'token: a short challenge',
    req: (w) => tokenFor('abc', w.pending.key.publicKeyText, randomSignature),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'token: signature missing',
    req: (w) => json('POST', API.token, { volunteer: w.pending.key.publicKeyText, challenge: w.pending.challenge }),
    status: 400,
    code: 'bad_request',
  },

  // Volunteer tokens: absent, forged, tampered, expired, of the wrong kind.
  {
    name: 'lease without a token',
    req: () => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with a garbage token',
    req: () => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, 'not.a.token'),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with a forged token',
    req: (w) =>
      json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, `${w.alice.key}.zzzzzzzz.${'A'.repeat(43)}`),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with a token whose expiry was moved',
    req: (w) => {
      const [key, expiry, mac] = w.alice.bearer.split('.') as [string, string, string];
      const later = (Number.parseInt(expiry, 36) + 86_400_000).toString(36);
      return json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, `${key}.${later}.${mac}`);
    },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'lease with an expired token',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, w.expiredToken),
    status: 401,
    code: 'token_expired',
  },
  {
    name: 'lease with a project token',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, w.token),
    status: 401,
    code: 'unauthorized',
  },
  { name: 'stats with an expired token', req: (w) => get(API.me, w.expiredToken), status: 401, code: 'token_expired' },

  // Lease bodies.
  {
    name: 'lease: malformed JSON',
    req: (w) => ({
      method: 'POST',
      path: API.lease,
      token: w.alice.bearer,
      type: 'application/json',
      body: '{"max": }',
    }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: text/plain',
    req: (w) => ({
      ...json('POST', API.lease, { capabilities: GPU_CAPABILITIES }, w.alice.bearer),
      type: 'text/plain',
    }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'lease: capabilities missing',
    req: (w) => json('POST', API.lease, { max: 4 }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: max 0',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max: 0 }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: max 1001',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max: 1001 }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: max a string',
    req: (w) => json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max: '5' }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: GPU limits of the wrong type',
    req: (w) =>
      json(
        'POST',
        API.lease,
        {
          capabilities: {
            ...GPU_CAPABILITIES,
            webgpu: { ...GPU_CAPABILITIES.webgpu, limits: { maxStorageBufferBindingSize: 'lots', maxBufferSize: -1 } },
          },
        },
        w.alice.bearer,
      ),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'lease: a body over the JSON cap',
    req: (w) =>
      json(
        'POST',
        API.lease,
        { capabilities: GPU_CAPABILITIES, project: 'p'.repeat(CAPS.maxJsonBytes) },
        w.alice.bearer,
      ),
    status: 413,
    code: 'payload_too_large',
  },

  // Giving leases back.
  {
    name: 'release: no leases',
    req: (w) => json('POST', API.release, { leases: [] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'release: a job id where a lease id goes',
    req: (w) => json('POST', API.release, { leases: [A(w, 2).lease, w.job] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'release: without a token',
    req: (w) => json('POST', API.release, { leases: [A(w, 2).lease] }),
    status: 401,
    code: 'unauthorized',
  },

  // Heartbeats.
  {
    name: 'heartbeat: no leases',
    req: (w) => json('POST', API.heartbeat, { leases: [] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: leases missing',
    req: (w) => json('POST', API.heartbeat, {}, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: leases a string',
    req: (w) => json('POST', API.heartbeat, { leases: A(w, 2).lease }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: a job id where a lease id goes',
    req: (w) => json('POST', API.heartbeat, { leases: [A(w, 2).lease, w.job] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: lease number 0',
    req: (w) => json('POST', API.heartbeat, { leases: ['ls_0'] }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'heartbeat: 1001 leases',
    req: (w) => json('POST', API.heartbeat, { leases: Array(1001).fill(A(w, 2).lease) }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },

  // Submissions: the body.
  {
    name: 'submit: malformed JSON',
    req: (w) => ({
      method: 'POST',
      path: API.submit,
      token: w.alice.bearer,
      type: 'application/json',
      body: '{"results": [',
    }),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: text/plain',
    req: (w) => ({ ...submit([good(A(w, 2))], w.alice.bearer), type: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'submit: no results', req: (w) => submit([], w.alice.bearer), status: 400, code: 'bad_request' },
  {
    name: 'submit: results missing',
    req: (w) => json('POST', API.submit, {}, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: results an object',
    req: (w) => json('POST', API.submit, { results: good(A(w, 2)) }, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: 1001 results (over the JSON cap)',
    req: (w) => submit(Array(1001).fill(good(A(w, 2))), w.alice.bearer),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'submit: a job id where a lease id goes',
    req: (w) => submit([{ ...good(A(w, 2)), lease: w.job }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    message: /results\.0\.lease/,
  },
  {
    name: 'submit: a work unit id where a lease id goes',
    req: (w) => submit([{ ...good(A(w, 2)), lease: A(w, 2).workUnit }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: a lease id with a leading zero',
    req: (w) => submit([{ ...good(A(w, 2)), lease: `ls_0${A(w, 2).lease.slice(3)}` }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: lease a number',
    req: (w) => submit([{ ...good(A(w, 2)), lease: 3 }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: output not base64',
    req: (w) => submit([{ ...good(A(w, 2)), output: 'not base64!' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 0,
  },
  {
    name: 'submit: output hash in uppercase',
    req: (w) => submit([{ ...good(A(w, 2)), outputHash: good(A(w, 2)).outputHash.toUpperCase() }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: an unknown backend',
    req: (w) => submit([{ ...good(A(w, 2)), backend: 'cuda' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: an unknown result kind',
    req: (w) => submit([{ ...good(A(w, 2)), kind: 'maybe' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: an error result with an unknown code',
    req: (w) => submit([{ kind: 'error', lease: A(w, 2).lease, code: 'bored', message: '' }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'submit: a 3,000-character error message',
    req: (w) =>
      submit([{ kind: 'error', lease: A(w, 2).lease, code: 'timeout', message: 'm'.repeat(3000) }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  { name: 'submit without a token', req: (w) => submit([good(A(w, 2))]), status: 401, code: 'unauthorized' },
  {
    name: 'submit with an expired token',
    req: (w) => submit([good(A(w, 2))], w.expiredToken),
    status: 401,
    code: 'token_expired',
  },

  // Submissions: leases that cannot take this result.
  {
    name: 'submit: an unknown lease',
    req: (w) => submit([{ ...good(A(w, 2)), lease: 'ls_999999' }], w.alice.bearer),
    status: 404,
    code: 'not_found',
    index: 0,
  },
  {
    name: "submit: another volunteer's lease",
    req: (w) => submit([good(B(w, 2))], w.alice.bearer),
    status: 403,
    code: 'lease_foreign',
    index: 0,
  },
  {
    name: 'submit: after the lease expired',
    req: (w) => submit([good(w.lateLease)], w.alice.bearer),
    status: 410,
    code: 'lease_expired',
    index: 0,
  },
  {
    name: 'submit: a different result for a lease that already returned one',
    req: (w) => submit([wrong(A(w, 1))], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 0,
  },
  {
    name: 'submit: a different result for a validated lease',
    req: (w) => submit([wrong(A(w, 0))], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 0,
  },
  {
    name: 'submit: an error for a lease that returned a result',
    req: (w) => submit([{ kind: 'error', lease: A(w, 1).lease, code: 'timeout', message: 'late' }], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 0,
  },
  {
    name: 'submit: an output that does not hash to outputHash',
    req: (w) => submit([{ ...good(A(w, 2)), outputHash: wrong(A(w, 2)).outputHash }], w.alice.bearer),
    status: 422,
    code: 'hash_mismatch',
    index: 0,
  },
  {
    name: "submit: an output shorter than the job's output size",
    req: (w) => submit([okResult(A(w, 4), square(inputOf(A(w, 4))).subarray(0, 8))], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 0,
  },
  {
    name: "submit: an output longer than the job's output size",
    req: (w) => submit([okResult(A(w, 5), new Uint8Array(64))], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 0,
  },
  {
    name: 'submit: a lease of a cancelled job',
    req: (w) => submit([good(w.cancelledLease)], w.alice.bearer),
    status: 409,
    code: 'job_not_active',
    index: 0,
  },

  // Batches: one bad item rejects every item, and the error names it.
  {
    name: 'batch: item 2 of 3 is foreign',
    req: (w) => submit([good(A(w, 2)), good(A(w, 3)), good(B(w, 2))], w.alice.bearer),
    status: 403,
    code: 'lease_foreign',
    index: 2,
  },
  {
    name: 'batch: item 1 of 2 has a bad hash',
    req: (w) => submit([good(A(w, 2)), { ...good(A(w, 3)), outputHash: UNKNOWN_HASH }], w.alice.bearer),
    status: 422,
    code: 'hash_mismatch',
    index: 1,
  },
  {
    name: 'batch: the last item of 3 names an unknown lease',
    req: (w) => submit([good(A(w, 2)), good(A(w, 3)), { ...good(A(w, 3)), lease: 'ls_999998' }], w.alice.bearer),
    status: 404,
    code: 'not_found',
    index: 2,
  },
  {
    name: 'batch: the same lease twice with different outputs',
    req: (w) => submit([good(A(w, 2)), wrong(A(w, 2))], w.alice.bearer),
    status: 409,
    code: 'duplicate_result',
    index: 1,
  },
  {
    name: 'batch: a late item after good ones',
    req: (w) => submit([good(A(w, 2)), good(A(w, 3)), good(w.lateLease)], w.alice.bearer),
    status: 410,
    code: 'lease_expired',
    index: 2,
  },
  {
    name: 'batch: item 1 of 2 fails the schema',
    req: (w) => submit([good(A(w, 2)), { ...good(A(w, 3)), lease: w.job }], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    message: /results\.1\.lease/,
  },
  {
    name: 'batch: item 1 of 2 is a wrong-size output',
    req: (w) => submit([good(A(w, 6)), okResult(A(w, 7), new Uint8Array(4))], w.alice.bearer),
    status: 400,
    code: 'bad_request',
    index: 1,
  },

  // Receipts and stats.
  {
    name: 'receipts: limit 5000',
    req: (w) => get(`${API.receipts}?limit=5000`, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'receipts: after -2',
    req: (w) => get(`${API.receipts}?after=-2`, w.alice.bearer),
    status: 400,
    code: 'bad_request',
  },
  { name: 'receipts without a token', req: () => get(API.receipts), status: 401, code: 'unauthorized' },
];

describeBackends('hostile requests', (backend) => {
  const clock = new ManualClock();
  const internalErrors: string[] = [];
  const grid = useGrid(backend, {
    name: 'hostile',
    per: 'block',
    start: () => ({ clock, random: seededRandom(7), config: CONFIG, log: (m) => internalErrors.push(m) }),
  });
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(grid.coordinator, clock);
  });

  it('has at least 60 cases with distinct names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  // A loop rather than it.each, whose titles would cut the case names short.
  for (const c of CASES)
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      await expectRejected({ url: world.url, db: grid.db }, await c.req(world), c);
    });

  it('still serves good requests after the table, with the state the table left alone', async () => {
    const w = world;
    const bobReply = await w.bob.submit([good(B(w, 1))]);
    expect(bobReply).toEqual({ status: 200, body: { accepted: 1, repeated: 0 } });
    const aliceReply = await w.alice.submit([good(A(w, 2)), good(A(w, 3)), good(A(w, 1))]);
    expect(aliceReply).toEqual({ status: 200, body: { accepted: 2, repeated: 1 } });
    // The pending challenge survived every hostile attempt on it.
    const token = await send(
      w.url,
      tokenFor(w.pending.challenge, w.pending.key.publicKeyText, await signAuth(w.pending.key, w.pending.challenge)),
    );
    expect(token.status).toBe(200);
    const progress = await new Researcher(w.url, w.token).progress(w.job);
    expect(progress.counts).toMatchObject({ validated: 2 });
    expect((await fetch(w.url + API.health)).status).toBe(200);
    expect(internalErrors).toEqual([]);
  });
});

describeBackends('rate limits', (backend) => {
  const grid = useGrid(backend, { name: 'limits' });
  const start = async (config: Partial<CoordinatorConfig>) => {
    const clock = new ManualClock();
    const coordinator = await grid.start({ clock, config: { ...CONFIG, ...config } });
    return { coordinator, clock, target: { url: coordinator.url, db: grid.db } };
  };

  it('refuses an address over its budget with 429 and writes nothing', async () => {
    const { clock, target } = await start({ perAddress: { perSecond: 1, burst: 3 } });
    const key = await generateSigningKeyPair();
    const challenge = json('POST', API.challenge, { volunteer: key.publicKeyText });
    for (let i = 0; i < 3; i++) expect((await send(target.url, challenge)).status).toBe(200);
    await expectRejected(target, challenge, { status: 429, code: 'rate_limited' });
    clock.advance(1000);
    expect((await send(target.url, challenge)).status).toBe(200);
  });

  it('refuses a volunteer over its budget with 429 and writes nothing', async () => {
    const { coordinator, clock, target } = await start({ perVolunteer: { perSecond: 1, burst: 2 } });
    const { token } = await coordinator.createProject('limits');
    const researcher = new Researcher(coordinator.url, token);
    await researcher.addSquares(await researcher.createSquareJob(), 1, 4);
    const volunteer = await SimVolunteer.create(coordinator.url);
    const lease = json('POST', API.lease, { capabilities: GPU_CAPABILITIES, max: 1 }, volunteer.bearer);
    for (let i = 0; i < 2; i++) expect((await volunteer.get(API.me)).status).toBe(200);
    await expectRejected(target, lease, { status: 429, code: 'rate_limited' });
    clock.advance(1000);
    const res = await send(target.url, lease);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as LeaseResponse).leases).toHaveLength(1);
  });
});

describeBackends('challenges', (backend) => {
  const clock = new ManualClock();
  const grid = useGrid(backend, {
    name: 'challenges',
    per: 'block',
    start: () => ({ clock, config: { ...CONFIG, challengeSeconds: 120 } }),
  });

  const signedChallenge = async () => {
    const key = await generateSigningKeyPair();
    const { challenge } = await postOk<{ challenge: string }>(
      grid.coordinator.url,
      json('POST', API.challenge, { volunteer: key.publicKeyText }),
    );
    const signature = await signAuth(key, challenge);
    return json('POST', API.token, { volunteer: key.publicKeyText, challenge, signature });
  };

  it('trades a signed challenge raced twice for exactly one token', async () => {
    const req = await signedChallenge();
    const replies = await Promise.all([send(grid.coordinator.url, req), send(grid.coordinator.url, req)]);
    const bodies = replies.map((r) => JSON.parse(r.text) as { error?: { code: string } });
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(bodies.map((b) => b.error?.code ?? 'ok').sort()).toEqual(['ok', 'replayed']);
  });

  it('refuses an expired challenge, and writes nothing', async () => {
    const req = await signedChallenge();
    clock.advance(121_000);
    const before = await grid.db.dump();
    const res = await send(grid.coordinator.url, req);
    expect(res.status).toBe(401);
    expect((JSON.parse(res.text) as { error: { code: string } }).error.code).toBe('replayed');
    expect(diffDumps(before, await grid.db.dump())).toEqual([]);
  });
});

describe('connections', () => {
  it('closes, and says so, the connection of an upload it rejected without reading the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bricolage-connections-'));
    const coordinator = await startCoordinator({ dataDir: dir, port: 0, config: CONFIG });
    try {
      const { token } = await coordinator.createProject('connections');
      const researcher = new Researcher(coordinator.url, token);
      const job = await researcher.createSquareJob();
      // Pooled keep-alive connections, as a researcher's upload tool would hold them.
      const lines = withBadLine(Array(20_000).fill(wuLine(squareInput(1))), 1500, '{"input": 7}');
      const res = await researcher.request('POST', API.workUnits(job), `${lines.join('\n')}\n`, 'application/x-ndjson');
      expect(res.status).toBe(400);
      await res.text();
      // Saying "keep-alive" and then dropping the socket makes the client's next request fail.
      expect(res.headers.get('connection')).toBe('close');
      for (let i = 0; i < 3; i++) expect((await researcher.request('GET', API.jobs)).status).toBe(200);
    } finally {
      await coordinator.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
