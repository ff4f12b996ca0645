// The widget's routes on a real coordinator over loopback HTTP with its SQLite file: who may frame what, what
// any origin may read, and the researcher's list of embedding origins, validated strictly and kept across a restart.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, ErrorBody } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';
import type { RequestRecord } from './app';
import { PAGE_POLICY } from './browser-headers';

const SCRIPT = '(()=>{/* a stand-in for the built widget.js */})();\n';
const FRAME_HTML = '<!doctype html><title>frame</title>';
const PAGE_HTML = '<!doctype html><title>volunteer page</title>';

/** The frame-ancestors directive of a response's policy, which otherwise is the volunteer page's own. */
function frameAncestorsOf(res: Response): string | null {
  const policy = res.headers.get('content-security-policy');
  if (policy === null) return null;
  const directives = policy.split(';').map((d) => d.trim());
  expect(directives.filter((d) => !d.startsWith('frame-ancestors'))).toEqual([...PAGE_POLICY]);
  return directives.find((d) => d.startsWith('frame-ancestors')) ?? null;
}

describe('widget routes', () => {
  let dir: string;
  let web: string;
  let coordinator: Coordinator;
  let project: string;
  let token: string;
  let other: { project: string; token: string };
  const requests: RequestRecord[] = [];

  const start = () =>
    startCoordinator({
      dataDir: join(dir, 'data'),
      port: 0,
      webRoot: web,
      widgetScript: join(dir, 'widget.js'),
      onRequest: (r) => requests.push(r),
      log: () => undefined,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-widget-'));
    web = join(dir, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'index.html'), PAGE_HTML);
    writeFileSync(join(web, 'widget-frame.html'), FRAME_HTML);
    writeFileSync(join(dir, 'widget.js'), SCRIPT);
    coordinator = await start();
    ({ project, token } = await coordinator.createProject('Embedded', 'Counts things while you read'));
    other = await coordinator.createProject('Other');
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const putOrigins = (origins: unknown, bearer = token) =>
    fetch(coordinator.url + API.embedding, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ origins }),
    });
  const getOrigins = async (bearer = token) =>
    (await (
      await fetch(coordinator.url + API.embedding, { headers: { authorization: `Bearer ${bearer}` } })
    ).json()) as {
      origins: string[];
    };
  const frame = (id: string) => fetch(`${coordinator.url}${API.widgetFrame}?project=${id}&host=https://x.example`);
  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(ErrorBody.parse(await res.json()).error.code).toBe(code);
  };

  it('keeps a project’s embedding origins, deduplicated and sorted, apart from other projects', async () => {
    expect(await getOrigins()).toEqual({ origins: [] });
    const res = await putOrigins(['https://news.example.org', 'http://localhost:9000', 'https://news.example.org']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ origins: ['http://localhost:9000', 'https://news.example.org'] });
    expect(await getOrigins()).toEqual({ origins: ['http://localhost:9000', 'https://news.example.org'] });
    expect(await getOrigins(other.token)).toEqual({ origins: [] });
  });

  it('refuses a list with any origin that is not strictly one, and keeps the list it had', async () => {
    const before = await getOrigins();
    for (const bad of [
      'https://example.org/',
      'http://example.org',
      'https://*.example.org',
      "https://a.example.org; script-src 'unsafe-inline'",
      'https://a;b.example.org',
      "'self'",
      '*',
    ])
      await expectError(await putOrigins(['https://fine.example.org', bad]), 400, 'bad_request');
    await expectError(await putOrigins('https://example.org'), 400, 'bad_request');
    await expectError(
      await putOrigins(Array.from({ length: 65 }, (_, i) => `https://h${i}.example.org`)),
      400,
      'bad_request',
    );
    expect(await getOrigins()).toEqual(before);
  });

  it('lets only the project’s token read or set its list', async () => {
    await expectError(await fetch(coordinator.url + API.embedding), 401, 'unauthorized');
    await expectError(await putOrigins(['https://example.org'], 'brk_not-a-token'), 401, 'unauthorized');
    const res = await fetch(coordinator.url + API.embedding, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: 'origins',
    });
    await expectError(res, 415, 'unsupported_media_type');
  });

  it('serves the frame with frame-ancestors from the project’s list, and none when the list is empty', async () => {
    await putOrigins(['https://news.example.org', 'http://localhost:9000']);
    const res = await frame(project);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(frameAncestorsOf(res)).toBe('frame-ancestors http://localhost:9000 https://news.example.org');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await res.text()).toBe(FRAME_HTML);

    const none = await frame(other.project);
    expect(frameAncestorsOf(none)).toBe("frame-ancestors 'none'");

    // A change applies to the next load of the frame.
    await putOrigins([]);
    expect(frameAncestorsOf(await frame(project))).toBe("frame-ancestors 'none'");
  });

  it('answers a bad or unknown project in the frame’s URL with a JSON error, and never serves the frame file bare', async () => {
    await expectError(await fetch(coordinator.url + API.widgetFrame), 400, 'bad_request');
    await expectError(await frame('prj_nope'), 400, 'bad_request');
    await expectError(await frame('prj_0000000000000000'), 404, 'not_found');
    const offscreen = await fetch(`${coordinator.url}${API.widgetFrame}?project=${project}&offscreen=always`);
    await expectError(offscreen, 400, 'bad_request');
    await expectError(await fetch(`${coordinator.url}/widget-frame.html`), 404, 'not_found');
  });

  it('forbids framing the volunteer page, and leaves other responses’ policy alone', async () => {
    const page = await fetch(coordinator.url + '/');
    expect(await page.text()).toBe(PAGE_HTML);
    expect(frameAncestorsOf(page)).toBe("frame-ancestors 'none'");
    const index = await fetch(coordinator.url + '/index.html');
    expect(frameAncestorsOf(index)).toBe("frame-ancestors 'none'");
    // The OpenAPI document: a JSON response that is neither a page nor readable from other origins.
    const json = await fetch(coordinator.url + API.openapi);
    expect(json.headers.get('content-security-policy')).toBeNull();
    expect(json.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  it('serves widget.js to any origin, with the SRI hash of exactly its bytes in widget.json', async () => {
    const script = await fetch(coordinator.url + API.widgetScript, { headers: { origin: 'https://news.example.org' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('access-control-allow-origin')).toBe('*');
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const bytes = new Uint8Array(await script.arrayBuffer());

    const manifest = await fetch(coordinator.url + API.widgetManifest);
    expect(manifest.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await manifest.json()) as { src: string; integrity: string; bytes: number };
    expect(body.src).toBe(`${coordinator.url}/widget.js`);
    expect(body.bytes).toBe(bytes.length);
    expect(body.integrity).toBe(`sha384-${createHash('sha384').update(bytes).digest('base64')}`);
  });

  it('tells the card a project’s public facts, and whether the asking origin may embed it', async () => {
    await putOrigins(['http://localhost:9000']);
    const ask = (origin?: string) =>
      fetch(coordinator.url + API.widgetProject(project), { headers: origin ? { origin } : {} });
    const listed = await ask('http://localhost:9000');
    expect(listed.headers.get('access-control-allow-origin')).toBe('*');
    expect(listed.headers.get('vary')).toMatch(/origin/i);
    expect(await listed.json()).toEqual({
      id: project,
      name: 'Embedded',
      description: 'Counts things while you read',
      embeddable: true,
    });
    expect(((await (await ask('http://localhost:9001')).json()) as { embeddable: boolean }).embeddable).toBe(false);
    expect(((await (await ask()).json()) as { embeddable: boolean }).embeddable).toBe(false);
    // Readable by the card on the host's page too, so that it can say the id is wrong rather than unreachable.
    for (const [id, status, code] of [
      ['prj_0000000000000000', 404, 'not_found'],
      ['nope', 400, 'bad_request'],
    ] as const) {
      const res = await fetch(coordinator.url + API.widgetProject(id), {
        headers: { origin: 'http://localhost:9000' },
      });
      expect(res.headers.get('access-control-allow-origin'), id).toBe('*');
      await expectError(res, status, code);
    }
  });

  it('reports each request as it arrives to the onRequest hook', async () => {
    requests.length = 0;
    await fetch(coordinator.url + API.health, { headers: { origin: 'http://localhost:9000' } });
    await fetch(`${coordinator.url}/no/such/route`);
    expect(requests).toEqual([
      { method: 'GET', path: API.health, origin: 'http://localhost:9000' },
      { method: 'GET', path: '/no/such/route', origin: null },
    ]);
  });

  it('keeps the embedding origins across a restart (SQLite on disk)', async () => {
    await putOrigins(['https://kept.example.org']);
    await coordinator.close();
    coordinator = await start();
    expect(await getOrigins()).toEqual({ origins: ['https://kept.example.org'] });
    expect(frameAncestorsOf(await frame(project))).toBe('frame-ancestors https://kept.example.org');
  });

  it('answers 404 for the widget when the coordinator has none built', async () => {
    const bare = await startCoordinator({ dataDir: join(dir, 'bare'), port: 0, log: () => undefined });
    try {
      const { project: id } = await bare.createProject('p');
      await expectError(await fetch(bare.url + API.widgetScript), 404, 'not_found');
      await expectError(await fetch(bare.url + API.widgetManifest), 404, 'not_found');
      await expectError(await fetch(`${bare.url}${API.widgetFrame}?project=${id}`), 404, 'not_found');
    } finally {
      await bare.close();
    }
  });
});
