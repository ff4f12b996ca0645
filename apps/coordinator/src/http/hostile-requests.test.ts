// A table of malformed and hostile requests against a real coordinator over loopback HTTP: each must get
// its exact 4xx `{ error: { code, message } }` and leave every table as it was, in SQLite and in Postgres.
// The cases are in ./hostile/, by route family; the harness that holds each to the contract in ./hostile/harness.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, type LeaseResponse, generateSigningKeyPair } from '@bricolage/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../clock';
import type { CoordinatorConfig } from '../config';
import { startCoordinator } from '../server';
import { Researcher, squareInput } from '../testing/fixtures';
import { describeBackends } from '../testing/backends';
import { useGrid } from '../testing/grid-fixture';
import { GPU_CAPABILITIES, SimVolunteer } from '../testing/sim-volunteer';
import {
  type Case,
  send,
  json,
  wuLine,
  withBadLine,
  good,
  diffDumps,
  expectRejected,
  CONFIG,
  type World,
  signAuth,
  postOk,
  buildWorld,
  A,
  B,
  tokenFor,
} from './hostile/harness';
import { JOB_CASES } from './hostile/job-cases';
import { PROJECT_CASES } from './hostile/project-cases';
import { SUBMIT_CASES } from './hostile/submit-cases';
import { UPLOAD_CASES } from './hostile/upload-cases';
import { VOLUNTEER_CASES } from './hostile/volunteer-cases';

const CASES: readonly Case[] = [...PROJECT_CASES, ...JOB_CASES, ...UPLOAD_CASES, ...VOLUNTEER_CASES, ...SUBMIT_CASES];

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
