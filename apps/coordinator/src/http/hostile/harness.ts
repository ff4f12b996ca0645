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
import { expect } from 'vitest';
import type { ManualClock } from '../../clock';
import type { CoordinatorConfig } from '../../config';
import { sha256Hex } from '../../hash';
import type { Coordinator } from '../../server';
import { Researcher, SQUARE_WGSL, square, squareInput, squareJob } from '../../testing/fixtures';
import type { TestDatabase } from '../../testing/backends';
import { type RawReply, type RawRequest, sendRaw } from '../../testing/raw-http';
import { GPU_CAPABILITIES, SimVolunteer, okResult } from '../../testing/sim-volunteer';

// ---- requests and expectations ----

export type Req = RawRequest;
export type Reply = RawReply;

export interface Expected {
  readonly status: number;
  readonly code: ErrorCode;
  /** The batch index the error must name. */
  readonly index?: number;
  readonly message?: RegExp;
}

export interface Case extends Expected {
  readonly name: string;
  readonly req: (w: World) => Req | Promise<Req>;
}

/** One request on a connection of its own (testing/raw-http.ts says why). */
export const send = sendRaw;

export const json = (method: string, path: string, body: unknown, token?: string): Req => ({
  method,
  path,
  type: 'application/json',
  body: JSON.stringify(body),
  ...(token === undefined ? {} : { token }),
});
export const get = (path: string, token?: string): Req => ({
  method: 'GET',
  path,
  ...(token === undefined ? {} : { token }),
});
export const bare = (method: string, path: string, token?: string): Req => ({
  method,
  path,
  ...(token === undefined ? {} : { token }),
});
export const ndjson = (job: string, lines: readonly string[], token?: string): Req => ({
  method: 'POST',
  path: API.workUnits(job),
  type: 'application/x-ndjson',
  body: `${lines.join('\n')}\n`,
  ...(token === undefined ? {} : { token }),
});

export const wuLine = (input: Uint8Array, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ input: toBase64(input), ...extra });
/** Lines with inputs the database has never seen, so a leak of staged inputs would show. */
export const freshLines = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => wuLine(squareInput(from + i)));
export const withBadLine = (lines: string[], at: number, bad: string) => lines.map((l, i) => (i === at - 1 ? bad : l));

export const inputOf = (l: Lease) => fromBase64(l.input ?? '');
export type OkResult = Extract<SubmittedResult, { kind: 'ok' }>;
export const good = (l: Lease) => okResult(l, square(inputOf(l))) as OkResult;
export const wrong = (l: Lease) => okResult(l, square(squareInput(999_999))) as OkResult;
export const submit = (results: readonly unknown[], token?: string) => json('POST', API.submit, { results }, token);

// ---- the database, read through a second connection ----

export type Dump = Map<string, string[]>;

export function diffDumps(before: Dump, after: Dump): string[] {
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

export interface Target {
  readonly url: string;
  readonly db: TestDatabase;
}

/** Sends one request and holds it to the contract: its exact 4xx JSON error, and not one row changed. */
export async function expectRejected(target: Target, req: Req, expected: Expected): Promise<void> {
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

export const UNLIMITED = { perSecond: 1_000_000, burst: 1_000_000_000 };
export const CAPS = { maxJsonBytes: 16 * 1024, maxBlobBytes: 4096, maxLineBytes: 1024, maxUploadBytes: 256 * 1024 };
export const CONFIG: Partial<CoordinatorConfig> = {
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

export interface World {
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

export const signAuth = (pair: Ed25519KeyPair, challenge: string, volunteer = pair.publicKeyText) =>
  sign(pair.privateKey, domainMessage('auth', authMessageBody(challenge, volunteer)));

export async function postOk<T>(url: string, req: Req): Promise<T> {
  const { status, text } = await send(url, req);
  if (status !== 200) throw new Error(`setup ${req.method} ${req.path} failed: ${status} ${text}`);
  return JSON.parse(text) as T;
}

export async function buildWorld(coordinator: Coordinator, clock: ManualClock): Promise<World> {
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

export const UNKNOWN_JOB = 'job_0000000000000000';
export const UNKNOWN_HASH = 'ab'.repeat(32);
export const A = (w: World, i: number) => w.aliceLeases[i] as Lease;
export const B = (w: World, i: number) => w.bobLeases[i] as Lease;
export const createJob = (w: World, patch: Record<string, unknown>) =>
  json('POST', API.jobs, { ...squareJob(), ...patch }, w.token);
export const withSpec = (w: World, patch: Record<string, unknown>) =>
  createJob(w, { spec: { ...squareJob().spec, ...patch } });
export const randomSignature = toBase64Url(new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff));
export const tokenFor = (challenge: string, volunteer: string, signature: string) =>
  json('POST', API.token, { volunteer, challenge, signature });
