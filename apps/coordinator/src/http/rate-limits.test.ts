// Rate limits as a client meets them over loopback HTTP: who is charged for a request, what the default
// budgets allow, what a challenge costs, how many new identities an address may bring, and which address a
// request is charged to behind a trusted proxy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, authMessageBody, domainMessage, generateSigningKeyPair, sign } from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { type CoordinatorConfig, DEFAULT_CONFIG } from '../config';
import { type Coordinator, startCoordinator } from '../server';
import { Researcher } from '../testing/fixtures';
import { GPU_CAPABILITIES, SimVolunteer } from '../testing/sim-volunteer';

const running: { coordinator: Coordinator; dir: string }[] = [];

/** A coordinator on a manual clock: buckets refill only when a test advances it. */
async function start(config: Partial<CoordinatorConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-rates-'));
  const clock = new ManualClock();
  const coordinator = await startCoordinator({ dataDir: dir, port: 0, clock, config, log: () => undefined });
  running.push({ coordinator, dir });
  return { coordinator, clock, dir };
}

afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.coordinator.close();
    rmSync(r.dir, { recursive: true, force: true });
  }
});

const challenge = (url: string, volunteer: string, headers: Record<string, string> = {}) =>
  fetch(url + API.challenge, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ volunteer }),
  });

/** Signs in a brand-new key; returns the token exchange's response. */
async function signInNewKey(url: string): Promise<Response> {
  const pair = await generateSigningKeyPair();
  const { challenge: c } = (await (await challenge(url, pair.publicKeyText)).json()) as { challenge: string };
  const signature = await sign(pair.privateKey, domainMessage('auth', authMessageBody(c, pair.publicKeyText)));
  return fetch(url + API.token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ volunteer: pair.publicKeyText, challenge: c, signature }),
  });
}

/** Sends `n` requests one after another; the statuses in order. */
async function statuses(n: number, send: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await send();
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

describe('default budgets', () => {
  it('answer an anonymous flood from one address with 429 once its burst is spent, with Retry-After', async () => {
    const { coordinator } = await start();
    const burst = DEFAULT_CONFIG.perAddress.burst;
    const codes = await statuses(burst, () => fetch(coordinator.url + API.projects));
    expect(codes.every((s) => s === 200)).toBe(true);
    const refused = await fetch(coordinator.url + API.projects);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('let a Verify all through: a proof request per kept receipt, far past the anonymous burst', async () => {
    const { coordinator } = await start();
    const reads = DEFAULT_CONFIG.perAddress.burst + 100;
    const codes = await statuses(reads, () => fetch(`${coordinator.url}${API.inclusion}?index=0&size=1`));
    // 400: this log is empty; what matters is that none is 429.
    expect(codes.filter((s) => s === 429)).toEqual([]);
    expect((await fetch(coordinator.url + API.projects)).status).toBe(200);
  });

  it('limit researcher routes per project', async () => {
    const { coordinator } = await start();
    const { token } = await coordinator.createProject('busy');
    const researcher = new Researcher(coordinator.url, token);
    const burst = DEFAULT_CONFIG.perProject.burst;
    const codes = await statuses(burst + 1, () => researcher.request('GET', API.jobs));
    expect(codes.slice(0, burst).every((s) => s === 200)).toBe(true);
    expect(codes[burst]).toBe(429);
  });

  it('cap the new volunteer keys one address brings into existence, but not the keys it already has', async () => {
    const { coordinator, clock } = await start();
    const known = await SimVolunteer.create(coordinator.url);
    const cap = DEFAULT_CONFIG.newIdentities.burst;
    for (let i = 1; i < cap; i++) expect((await signInNewKey(coordinator.url)).status).toBe(200);
    const refused = await signInNewKey(coordinator.url);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/new volunteer keys/);
    // A key seen before signs in again at once; a new one waits for the window to move.
    await known.authenticate();
    clock.advance(Math.ceil(1000 / DEFAULT_CONFIG.newIdentities.perSecond));
    expect((await signInNewKey(coordinator.url)).status).toBe(200);
  });
});

describe('who is charged', () => {
  it("charges a signed-in volunteer's requests to its key, not to its address", async () => {
    // An address budget smaller than what one volunteer sends: a NAT of busy tabs must not starve.
    const { coordinator } = await start({ perAddress: { perSecond: 1, burst: 4 } });
    const volunteer = await SimVolunteer.create(coordinator.url);
    for (let i = 0; i < 20; i++) await volunteer.lease(1, GPU_CAPABILITIES);
    expect((await fetch(coordinator.url + API.projects)).status).toBe(200);
  });

  it('charges requests with a bad volunteer or project token to the address', async () => {
    const { coordinator } = await start({ perAddress: { perSecond: 1, burst: 3 } });
    const bad = { authorization: 'Bearer nonsense' };
    const codes = await statuses(2, () => fetch(coordinator.url + API.me, { headers: bad }));
    codes.push(...(await statuses(2, () => fetch(coordinator.url + API.jobs, { headers: bad }))));
    expect(codes).toEqual([401, 401, 401, 429]);
  });
});

describe('log reads', () => {
  it('charge a page of entries by its length', async () => {
    const { coordinator } = await start({ logReads: { perSecond: 1, burst: 100 } });
    const page = (n: number) => fetch(`${coordinator.url}${API.entries}?start=0&end=${n}`);
    expect((await page(1000)).status).toBe(200);
    const refused = await page(1);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('challenges', () => {
  it('are issued without writing anything', async () => {
    const { coordinator, dir } = await start({ perAddress: { perSecond: 1, burst: 1000 } });
    const pair = await generateSigningKeyPair();
    for (let i = 0; i < 200; i++) expect((await challenge(coordinator.url, pair.publicKeyText)).status).toBe(200);
    const db = new Database(join(dir, 'bricolage.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM challenges').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('are remembered as used only until they would have expired', async () => {
    const { coordinator, clock, dir } = await start({ challengeSeconds: 120 });
    expect((await signInNewKey(coordinator.url)).status).toBe(200);
    const db = new Database(join(dir, 'bricolage.sqlite'), { readonly: true });
    try {
      const count = () => (db.prepare('SELECT COUNT(*) AS n FROM challenges').get() as { n: number }).n;
      expect(count()).toBe(1);
      clock.advance(121_000);
      expect((await signInNewKey(coordinator.url)).status).toBe(200);
      expect(count()).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('client address', () => {
  const limited = { perAddress: { perSecond: 1, burst: 1 } };
  const from = (url: string, forwardedFor: string) =>
    challenge(url, 'A'.repeat(43), { 'x-forwarded-for': forwardedFor });

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const { coordinator } = await start(limited);
    expect((await from(coordinator.url, '198.51.100.1')).status).toBe(200);
    expect((await from(coordinator.url, '198.51.100.2')).status).toBe(429);
  });

  it('charges the forwarded-for address when the peer is a trusted proxy (TRUST_PROXY)', async () => {
    const { coordinator } = await start({ ...limited, trustProxy: 'loopback' });
    expect((await from(coordinator.url, '198.51.100.1')).status).toBe(200);
    expect((await from(coordinator.url, '198.51.100.2')).status).toBe(200);
    expect((await from(coordinator.url, '198.51.100.1')).status).toBe(429);
  });

  it('puts every address of an IPv6 /64 in one bucket', async () => {
    const { coordinator } = await start({ ...limited, trustProxy: 'loopback' });
    expect((await from(coordinator.url, '2001:db8:0:7::1')).status).toBe(200);
    expect((await from(coordinator.url, '2001:db8:0:7:ffff::2')).status).toBe(429);
    expect((await from(coordinator.url, '2001:db8:0:8::1')).status).toBe(200);
  });

  it('refuses to start with a TRUST_PROXY it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bricolage-rates-'));
    try {
      await expect(
        startCoordinator({ dataDir: dir, port: 0, config: { trustProxy: 'proxy.example' } }),
      ).rejects.toThrow(/TRUST_PROXY/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
