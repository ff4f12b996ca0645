// The OpenAPI document matches what the server serves: every route is in it with its method, nothing in it
// is a phantom, and every JSON body the server parses is described.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BanRequest,
  API,
  ChallengeRequest,
  CreateJobRequest,
  CreateProjectRequest,
  OpenFundedProjectRequest,
  ExportRequest,
  ImportRequest,
  HeartbeatRequest,
  ReleaseRequest,
  LeaseRequest,
  SubmitRequest,
  TokenRequest,
} from '@bricolage/protocol';
import { ProjectEmbedding } from '@bricolage/protocol/widget';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodObject } from 'zod';
import { type Coordinator, startCoordinator } from '../server';
import { SimVolunteer } from '../testing/sim-volunteer';
import { createApp } from './app';

interface Schema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Record<string, unknown>;
  readonly allOf?: readonly Schema[];
}
interface Operation {
  readonly security?: readonly Record<string, unknown>[];
  readonly requestBody?: { readonly content?: Record<string, { readonly schema?: Schema }> };
  readonly responses?: Record<string, unknown>;
}
interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components?: { readonly schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The JSON bodies the server parses, with the shared schema each must be documented from. */
const JSON_BODIES: Record<string, ZodObject> = {
  [`POST ${API.jobs}`]: CreateJobRequest,
  [`POST ${API.projects}`]: CreateProjectRequest,
  [`POST ${API.myFundedProject}`]: OpenFundedProjectRequest,
  [`POST ${API.exports}`]: ExportRequest,
  [`POST ${API.imports}`]: ImportRequest,
  [`POST ${API.challenge}`]: ChallengeRequest,
  [`POST ${API.token}`]: TokenRequest,
  [`POST ${API.lease}`]: LeaseRequest,
  [`POST ${API.heartbeat}`]: HeartbeatRequest,
  [`POST ${API.release}`]: ReleaseRequest,
  [`POST ${API.submit}`]: SubmitRequest,
  [`PUT ${API.embedding}`]: ProjectEmbedding,
  [`POST ${API.ban('{volunteer}')}`]: BanRequest,
};

/** Hono `/v1/jobs/:job` is OpenAPI `/v1/jobs/{job}`. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** A well-formed value for each path parameter that names nothing, so a probe changes nothing. */
const PLACEHOLDERS: Record<string, string> = {
  job: 'job_0000000000000000',
  hash: '0'.repeat(64),
  project: 'prj_0000000000000000',
  volunteer: 'A'.repeat(43),
  requestId: 'no-such-request-0123456789',
};
const fillPath = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = PLACEHOLDERS[name];
    if (value === undefined) throw new Error(`no placeholder for path parameter {${name}}`);
    return value;
  });

describe('OpenAPI document', () => {
  let dir: string;
  let coordinator: Coordinator;
  let doc: OpenApiDocument;
  let served: Set<string>;
  let documented: Map<string, Operation>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-openapi-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0 });
    const res = await fetch(coordinator.url + API.openapi);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    doc = (await res.json()) as OpenApiDocument;

    // The routes the app really serves: one entry per handler, so middleware shares its route's key.
    served = new Set(
      createApp(coordinator.deps)
        .routes.filter((r) => r.method !== 'ALL' && r.path !== '*' && r.path !== '/*' && r.path !== API.openapi)
        .map((r) => `${r.method.toUpperCase()} ${toOpenApiPath(r.path)}`),
    );
    documented = new Map();
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, operation] of Object.entries(item))
        if (METHODS.includes(method)) documented.set(`${method.toUpperCase()} ${path}`, operation as Operation);
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is OpenAPI 3.1 and names the coordinator', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe('Bricolage coordinator');
    expect(doc.info.version).toBe(coordinator.deps.version);
  });

  it('finds the routes it compares', () => {
    // A guard on the comparison itself: an empty set on either side would make the next tests vacuous.
    expect(served.size).toBeGreaterThanOrEqual(20);
    for (const key of [`GET ${API.health}`, `POST ${API.submit}`, 'PUT /v1/blobs/{hash}', 'GET /v1/jobs/{job}'])
      expect(served).toContain(key);
  });

  it('documents every route the app serves, with its method', () => {
    const missing = [...served].filter((key) => !documented.has(key));
    expect(missing).toEqual([]);
  });

  it('documents no route the app does not serve', () => {
    const phantom = [...documented.keys()].filter((key) => !served.has(key));
    expect(phantom).toEqual([]);
  });

  it('reaches a handler, not the not-found fallback, at every documented path', async () => {
    const fallbacks: string[] = [];
    for (const key of documented.keys()) {
      const [method, path] = key.split(' ') as [string, string];
      // Unauthenticated and bodiless: every route answers without changing anything.
      const res = await fetch(coordinator.url + fillPath(path), { method });
      const text = await res.text();
      if (res.status === 404 && text.includes('no route for')) fallbacks.push(key);
    }
    expect(fallbacks).toEqual([]);
  });

  it('describes each operation with a success and an error response', () => {
    for (const [key, operation] of documented) {
      expect(Object.keys(operation.responses ?? {}), key).toContain('200');
      expect(Object.keys(operation.responses ?? {}), key).toContain('4XX');
    }
  });

  it('documents the JSON request body of every JSON route, from its shared schema', () => {
    const resolve = (schema: Schema | undefined): Schema | undefined => {
      const name = schema?.$ref?.replace('#/components/schemas/', '');
      return name === undefined ? schema : resolve(doc.components?.schemas?.[name]);
    };
    for (const [key, zod] of Object.entries(JSON_BODIES)) {
      const schema = resolve(documented.get(key)?.requestBody?.content?.['application/json']?.schema);
      expect(schema, key).toBeDefined();
      expect(Object.keys(schema?.properties ?? {}).sort(), key).toEqual(Object.keys(zod.shape).sort());
    }
  });

  it('lists every route that parses JSON among the documented JSON bodies', async () => {
    // A route parses JSON when it refuses text/plain with 415; it must then be in JSON_BODIES (and documented).
    const { token } = await coordinator.createProject('openapi');
    const volunteer = await SimVolunteer.create(coordinator.url);
    const parsesJson: string[] = [];
    for (const [key, operation] of documented) {
      const [method, path] = key.split(' ') as [string, string];
      if (method !== 'POST' && method !== 'PUT') continue;
      const scheme = Object.keys(operation.security?.[0] ?? {})[0];
      const bearer =
        scheme === 'projectToken'
          ? token
          : scheme === 'volunteerToken'
            ? volunteer.bearer
            : scheme === 'operatorToken'
              ? coordinator.operator.token
              : null;
      const res = await fetch(coordinator.url + fillPath(path), {
        method,
        headers: { 'content-type': 'text/plain', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: 'not json',
      });
      expect(res.status, `${key}: ${await res.clone().text()}`).not.toBe(401);
      if (res.status === 415) parsesJson.push(key);
    }
    expect(parsesJson.sort()).toEqual(Object.keys(JSON_BODIES).sort());
  });
});
