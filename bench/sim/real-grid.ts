// The real coordinator as the simulation's grid: `startCoordinator` in this process on a fresh data directory
// (SQLite on tmpfs when the machine has one: the simulation measures policies, not fsync), a manual clock that
// the simulation moves a round at a time, and every volunteer request over HTTP on loopback. Volunteers
// appear to come from their own addresses: the coordinator trusts loopback as a proxy and reads X-Forwarded-For,
// so its per-address limits (new identities among them) apply as they would in production.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API,
  type HeartbeatResponse,
  type LeaseResponse,
  type ReleaseResponse,
  type ResultLine,
  fromBase64,
  generateSigningKeyPair,
  sign,
  domainMessage,
  authMessageBody,
  toBase64,
} from '@bricolage/protocol';
import { ManualClock, seededRandom } from '../../apps/coordinator/src/clock';
import { sha256Hex } from '../../apps/coordinator/src/hash';
import { type Coordinator, startCoordinator } from '../../apps/coordinator/src/server';
import { SQUARE_WGSL, squareJob } from '../../apps/coordinator/src/testing/fixtures';
import { GPU_CAPABILITIES } from '../../apps/coordinator/src/testing/sim-volunteer';
import { HttpClient } from '../coordinator/http-client';
import type { FinishedUnit, Grid, LeasedUnit, Member, Returned, UploadUnit } from './grid';
import { jobSettings, type Policy } from './policies';

interface Identity {
  readonly privateKey: CryptoKey;
  readonly address: string;
  token: string;
}

export class CoordinatorGrid implements Grid {
  readonly kind = 'coordinator' as const;
  private readonly identities = new Map<string, Identity>();
  private job: string | null = null;

  private constructor(
    private readonly coordinator: Coordinator,
    private readonly clock: ManualClock,
    private readonly http: HttpClient,
    private readonly researcher: string,
    private readonly policy: Policy,
    private readonly dir: string,
  ) {}

  static async start(policy: Policy, seed: number): Promise<CoordinatorGrid> {
    if (!policy.shipped) throw new Error(`the coordinator cannot run policy ${policy.name} yet`);
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bricolage-sim-'));
    const clock = new ManualClock();
    const coordinator = await startCoordinator({
      dataDir: dir,
      clock,
      random: seededRandom(seed),
      // The simulation sweeps after each round; the real-time sweeper would only sweep the same clock again.
      config: { trustProxy: 'loopback', sweepMs: 3_600_000 },
      log: (message) => console.error(`coordinator: ${message}`),
    });
    const { token } = await coordinator.createProject('adversary simulation');
    const http = new HttpClient(coordinator.url, 4);
    const grid = new CoordinatorGrid(coordinator, clock, http, token, policy, dir);
    const shader = new TextEncoder().encode(SQUARE_WGSL);
    await grid.researcherRequest('PUT', API.blob(sha256Hex(shader)), shader, 'application/octet-stream');
    return grid;
  }

  async join(address: string): Promise<Member | null> {
    const pair = await generateSigningKeyPair();
    const identity: Identity = { privateKey: pair.privateKey, address, token: '' };
    if (!(await this.authenticate(pair.publicKeyText, identity))) return null;
    this.identities.set(pair.publicKeyText, identity);
    return { key: pair.publicKeyText, address };
  }

  async lease(member: Member, max: number): Promise<LeasedUnit[]> {
    const reply = await this.volunteerRequest<LeaseResponse>(member, API.lease, {
      capabilities: GPU_CAPABILITIES,
      max: Math.min(max, 1000),
    });
    if (reply.status !== 200) throw new Error(`lease failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.leases.map((l) => ({ lease: l.lease, unit: l.workUnit, input: fromBase64(l.input ?? '') }));
  }

  async heartbeat(member: Member, leases: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const left = new Map<string, number>();
    for (let i = 0; i < leases.length; i += 1000) {
      const reply = await this.volunteerRequest<ReturnType<typeof HeartbeatResponse.parse>>(member, API.heartbeat, {
        leases: leases.slice(i, i + 1000),
      });
      if (reply.status !== 200) throw new Error(`heartbeat failed: ${reply.status} ${JSON.stringify(reply.body)}`);
      for (const l of reply.body.leases)
        if (l.state === 'leased' && l.deadline !== null) left.set(l.lease, l.deadline - this.clock.now());
    }
    return left;
  }

  async release(member: Member, leases: readonly string[]): Promise<number> {
    let released = 0;
    for (let i = 0; i < leases.length; i += 1000) {
      const reply = await this.volunteerRequest<ReleaseResponse>(member, API.release, {
        leases: leases.slice(i, i + 1000),
      });
      if (reply.status !== 200) throw new Error(`release failed: ${reply.status} ${JSON.stringify(reply.body)}`);
      released += reply.body.released;
    }
    return released;
  }

  async submit(member: Member, results: readonly Returned[]): Promise<number> {
    if (results.length === 0) return 0;
    const reply = await this.volunteerRequest<{ accepted: number }>(member, API.submit, {
      results: results.map((r) =>
        r.kind === 'ok'
          ? {
              kind: 'ok',
              lease: r.lease,
              output: toBase64(r.output),
              outputHash: sha256Hex(r.output),
              backend: 'webgpu',
              elapsedMs: 1,
            }
          : { kind: 'error', lease: r.lease, code: 'runtime_error', message: 'simulated error' },
      ),
    });
    return reply.status === 200 ? reply.body.accepted : 0;
  }

  async startJob(units: readonly UploadUnit[]): Promise<void> {
    if (this.job) await this.researcherRequest('POST', API.cancel(this.job));
    const created = await this.researcherRequest(
      'POST',
      API.jobs,
      JSON.stringify(squareJob(jobSettings(this.policy))),
      'application/json',
    );
    this.job = ((await created.json()) as { id: string }).id;
    const lines = units.map((u) =>
      JSON.stringify({
        input: toBase64(u.input),
        tag: u.tag,
        ...(u.expected ? { expected: toBase64(u.expected) } : {}),
      }),
    );
    for (let i = 0; i < lines.length; i += 50_000)
      await this.researcherRequest(
        'POST',
        API.workUnits(this.job),
        `${lines.slice(i, i + 50_000).join('\n')}\n`,
        'application/x-ndjson',
      );
  }

  /** The job completed: every unit validated or failed, and no re-check still out (steps/write.ts). */
  async finished(): Promise<boolean> {
    const res = await this.researcherRequest('GET', API.job(this.requireJob()));
    const { job } = (await res.json()) as { job: { state: string } };
    return job.state === 'completed';
  }

  async results(): Promise<Map<string, FinishedUnit>> {
    const res = await this.researcherRequest('GET', `${API.results(this.requireJob())}?after=0`);
    const found = new Map<string, FinishedUnit>();
    for (const line of (await res.text()).split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line) as ResultLine;
      if (r.tag !== null) found.set(r.tag, { state: r.state, output: r.output === null ? null : fromBase64(r.output) });
    }
    return found;
  }

  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.coordinator.sweep();
  }

  async close(): Promise<void> {
    this.http.close();
    await this.coordinator.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private requireJob(): string {
    if (!this.job) throw new Error('no job started');
    return this.job;
  }

  /** Signs a challenge for a token; false when the coordinator refuses the key (a 429 on new identities). */
  private async authenticate(key: string, identity: Identity): Promise<boolean> {
    const headers = { 'x-forwarded-for': identity.address };
    const challenge = await this.http.send<{ challenge: string }>(
      'POST',
      API.challenge,
      { volunteer: key },
      undefined,
      headers,
    );
    if (challenge.status !== 200) return false;
    const signature = await sign(
      identity.privateKey,
      domainMessage('auth', authMessageBody(challenge.body.challenge, key)),
    );
    const token = await this.http.send<{ token: string }>(
      'POST',
      API.token,
      { volunteer: key, challenge: challenge.body.challenge, signature },
      undefined,
      headers,
    );
    if (token.status !== 200) return false;
    identity.token = token.body.token;
    return true;
  }

  /** A volunteer request, signing in again once when the token has expired (tokens last 15 simulated minutes). */
  private async volunteerRequest<T>(member: Member, path: string, body: unknown) {
    const identity = this.identities.get(member.key);
    if (!identity) throw new Error(`unknown member ${member.key}`);
    const headers = { 'x-forwarded-for': identity.address };
    let reply = await this.http.send<T>('POST', path, body, identity.token, headers);
    if (reply.status === 401 && (await this.authenticate(member.key, identity)))
      reply = await this.http.send<T>('POST', path, body, identity.token, headers);
    return reply;
  }

  private async researcherRequest(method: string, path: string, body?: BodyInit, type?: string): Promise<Response> {
    const res = await fetch(this.coordinator.url + path, {
      method,
      headers: { authorization: `Bearer ${this.researcher}`, ...(type ? { 'content-type': type } : {}) },
      ...(body === undefined ? {} : { body }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }
}
