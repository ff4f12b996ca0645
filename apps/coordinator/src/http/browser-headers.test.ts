// The headers browsers act on, as a real coordinator sends them: the page's policy and framing ban, and CORS
// on the public log and the volunteer API alone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { API } from '@bricolage/protocol';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';
import { applyBrowserHeaders, PAGE_POLICY } from './browser-headers';
import type { Env } from './env';

const AUDITOR = { origin: 'https://auditor.example' };

describe('browser headers', () => {
  let dir: string;
  let web: string;
  let coordinator: Coordinator;
  let projectToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-headers-'));
    web = mkdtempSync(join(tmpdir(), 'bricolage-headers-web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(web, 'app.js'), 'export {};');
    coordinator = await startCoordinator({ dataDir: dir, port: 0, webRoot: web, log: () => undefined });
    ({ token: projectToken } = await coordinator.createProject('headers'));
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(web, { recursive: true, force: true });
  });

  it('gives the page its Content-Security-Policy, and forbids framing it', async () => {
    const res = await fetch(`${coordinator.url}/`);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = (res.headers.get('content-security-policy') ?? '').split(/;\s*/);
    expect(policy).toEqual([...PAGE_POLICY, "frame-ancestors 'none'"]);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    // Not on what is not a document.
    expect((await fetch(`${coordinator.url}/app.js`)).headers.get('content-security-policy')).toBeNull();
  });

  it("keeps the page's <meta> policy (what the dev server serves) equal to the header's", () => {
    const html = readFileSync(resolve(import.meta.dirname, '../../../web/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]?.split(/;\s*/)).toEqual([...PAGE_POLICY]);
  });

  it('lets any origin read the public log and the well-known document, errors included', async () => {
    const reads = [
      API.wellKnown,
      API.treeHead,
      `${API.entries}?start=0&end=1`,
      `${API.inclusion}?index=0&size=1`,
      `${API.consistency}?from=0&to=0`,
    ];
    for (const path of reads) {
      const res = await fetch(coordinator.url + path, { headers: AUDITOR });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(res.headers.get('cross-origin-resource-policy'), path).toBe('cross-origin');
    }
  });

  it('lets any origin read the project list and blobs, and preflights them for GET only', async () => {
    const hash = '0'.repeat(64);
    for (const path of [API.projects, API.blob(hash), API.blobManifest(hash), API.ortWasm, API.health]) {
      const res = await fetch(coordinator.url + path, { headers: AUDITOR });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(res.headers.get('cross-origin-resource-policy'), path).toBe('cross-origin');
    }
    const preflight = await fetch(coordinator.url + API.blob(hash), {
      method: 'OPTIONS',
      headers: { ...AUDITOR, 'access-control-request-method': 'PUT' },
    });
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
  });

  it("answers a volunteer page on another origin: preflight, then the volunteer's own requests", async () => {
    for (const path of [
      API.challenge,
      API.token,
      API.lease,
      API.heartbeat,
      API.release,
      API.submit,
      API.exports,
      API.imports,
      API.receipts,
      API.me,
      API.settleExport('a-request-0123456789'),
    ]) {
      const preflight = await fetch(coordinator.url + path, {
        method: 'OPTIONS',
        headers: {
          ...AUDITOR,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(preflight.status, path).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers'), path).toBe(
        'Authorization, Content-Type, Idempotency-Key',
      );
      // Bearer tokens only: a browser must never be told to send cookies along.
      expect(preflight.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
    // Settling an export request is a write: POST, never a GET a prefetch could make.
    const settle = await fetch(coordinator.url + API.settleExport('a-request-0123456789'), {
      method: 'OPTIONS',
      headers: { ...AUDITOR, 'access-control-request-method': 'POST' },
    });
    expect(settle.headers.get('access-control-allow-methods')).toBe('POST');
    // The actual requests: a challenge, and a refused token, both readable by the other origin.
    const challenge = await fetch(coordinator.url + API.challenge, {
      method: 'POST',
      headers: { ...AUDITOR, 'content-type': 'application/json' },
      body: JSON.stringify({ volunteer: 'x' }),
    });
    expect(challenge.headers.get('access-control-allow-origin')).toBe('*');
    const me = await fetch(coordinator.url + API.me, { headers: { ...AUDITOR, authorization: 'Bearer x' } });
    expect(me.status).toBe(401);
    expect(me.headers.get('access-control-allow-origin')).toBe('*');
    expect(me.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('opens nothing else to other origins: researcher and operator routes, writes of public reads', async () => {
    const responses = [
      await fetch(coordinator.url + API.jobs, { headers: { ...AUDITOR, authorization: `Bearer ${projectToken}` } }),
      await fetch(coordinator.url + API.myProject, {
        headers: { ...AUDITOR, authorization: `Bearer ${projectToken}` },
      }),
      await fetch(coordinator.url + API.bans, { headers: { ...AUDITOR, authorization: 'Bearer x' } }),
      await fetch(coordinator.url + API.projects, { method: 'POST', headers: AUDITOR }),
      await fetch(coordinator.url + API.treeHead, { method: 'POST', headers: AUDITOR }),
      await fetch(coordinator.url + API.peerRoom, { headers: { ...AUDITOR, authorization: 'Bearer x' } }),
      await fetch(`${coordinator.url}/`, { headers: AUDITOR }),
    ];
    for (const res of responses) {
      expect(res.headers.get('access-control-allow-origin'), res.url).toBeNull();
      expect(res.headers.get('cross-origin-resource-policy'), res.url).toBe('same-origin');
    }
    // No preflight passes for them: the browser then never sends the request.
    for (const path of [API.jobs, API.workUnits('job_x'), API.bans, API.embedding, API.pause('job_x')]) {
      const preflight = await fetch(coordinator.url + path, {
        method: 'OPTIONS',
        headers: { ...AUDITOR, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(preflight.status, path).toBe(404);
    }
  });
});

describe('a route that decides for itself', () => {
  it('keeps its own Content-Security-Policy (with no X-Frame-Options) and its own Cross-Origin-Resource-Policy', async () => {
    const app = new Hono<Env>();
    app.use('*', applyBrowserHeaders());
    app.get('/framed', (c) =>
      c.html('<p>hi</p>', 200, { 'content-security-policy': 'frame-ancestors https://host.example' }),
    );
    app.get('/shared.js', (c) =>
      c.body('export {}', 200, { 'content-type': 'text/javascript', 'cross-origin-resource-policy': 'cross-origin' }),
    );
    const framed = await app.request('/framed');
    expect(framed.headers.get('content-security-policy')).toBe('frame-ancestors https://host.example');
    expect(framed.headers.get('x-frame-options')).toBeNull();
    expect(framed.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const shared = await app.request('/shared.js');
    expect(shared.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(shared.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
