// The embeddable widget's routes: widget.js and its SRI manifest and the card's project facts, all readable from
// any origin; the frame that runs the compute session, framable only by the project's listed host origins; and
// the researcher's route that sets that list.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API, ProjectId } from '@bricolage/protocol';
import { ProjectEmbedding, WidgetManifest, WidgetProject } from '@bricolage/protocol/widget';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { PAGE_POLICY } from './browser-headers';
import { ApiError, errorResponse } from './errors';
import type { Deps, Env } from './env';
import { limitBody, perAddressLimit, projectAuth } from './middleware';
import { route } from './route';

/** Where the built widget lives; either may be missing (a coordinator without a built web app). */
export interface WidgetFiles {
  /** packages/widget/dist/widget.js */
  readonly script?: string;
  /** apps/web/dist/widget-frame.html */
  readonly frame?: string;
}

/** The frame's HTML as the web build writes it; served only through API.widgetFrame, with its header. */
export const FRAME_FILE = '/widget-frame.html';

/** The `Content-Security-Policy` value that lets exactly `origins` frame a response (none when empty). */
export function frameAncestors(origins: readonly string[]): string {
  return `frame-ancestors ${origins.length > 0 ? origins.join(' ') : "'none'"}`;
}

function load(path: string | undefined): Uint8Array | null {
  return path && existsSync(path) ? new Uint8Array(readFileSync(path)) : null;
}

export function widgetRoutes(app: OpenAPIHono<Env>, deps: Deps, files: WidgetFiles): void {
  const byAddress = perAddressLimit(deps);
  const script = load(files.script);
  const frame = load(files.frame);
  const integrity = script ? `sha384-${createHash('sha384').update(script).digest('base64')}` : null;

  const knownProject = async (id: ProjectId) => {
    const project = await deps.store.getProject(id);
    if (!project) throw new ApiError('not_found', `no project ${id}`);
    return project;
  };

  route(
    app,
    {
      method: 'get',
      path: API.widgetScript,
      operationId: 'getWidgetScript',
      summary: 'The widget script a host page embeds (check it against the integrity in /widget.json)',
      tag: 'public',
      response: { contentType: 'text/javascript', description: 'widget.js' },
    },
    [byAddress],
    (c) => {
      if (!script) throw new ApiError('not_found', 'the widget is not built on this coordinator (npm run build)');
      // Not immutable: the URL stays while the file changes with the coordinator; hosts pin it with SRI.
      return c.body(script as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=300',
      });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.widgetManifest,
      operationId: 'getWidgetManifest',
      summary: "Where widget.js is, and its Subresource Integrity hash for the host's `integrity` attribute",
      tag: 'public',
      response: { schema: WidgetManifest, description: 'The widget manifest' },
    },
    [byAddress],
    (c) => {
      if (!script || !integrity)
        throw new ApiError('not_found', 'the widget is not built on this coordinator (npm run build)');
      c.header('cache-control', 'no-cache');
      const src = new URL(API.widgetScript, c.req.url).toString();
      return c.json({ src, integrity, bytes: script.length, version: deps.version });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/widget/projects/:project',
      operationId: 'getWidgetProject',
      summary: "What the widget's card shows of a project, and whether the asking page's origin may embed it",
      tag: 'public',
      response: { schema: WidgetProject, description: 'Public facts about the project' },
    },
    [byAddress],
    async (c) => {
      const id = ProjectId.safeParse(c.req.param('project'));
      if (!id.success) throw new ApiError('bad_request', 'expected a project id like prj_0123456789abcdef');
      const project = await knownProject(id.data);
      const origin = c.req.header('origin') ?? null;
      const origins = await deps.store.embeddingOrigins(project.id);
      c.header('vary', 'Origin');
      c.header('cache-control', 'no-cache');
      return c.json({
        id: project.id,
        name: project.name,
        description: project.description,
        embeddable: origin !== null && origins.includes(origin),
      });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: API.widgetFrame,
      operationId: 'getWidgetFrame',
      summary:
        "The widget's frame: runs the compute session after the reader's consent; framable only by the project's origins",
      tag: 'public',
      query: z.object({
        project: ProjectId,
        /** The embedding page's origin, for the frame's postMessage checks (the browser enforces the list). */
        host: z.string().max(256).optional(),
        offscreen: z.enum(['pause']).optional(),
      }),
      response: { contentType: 'text/html', description: 'The frame document' },
    },
    [byAddress],
    async (c, { query }) => {
      if (!frame) throw new ApiError('not_found', 'the widget frame is not built on this coordinator (npm run build)');
      const project = await knownProject(query.project);
      // The browser refuses to render the frame inside any page whose origin is not on the list.
      return c.body(frame as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'text/html; charset=utf-8',
        // The volunteer page's own policy, framable only by the project's origins.
        'content-security-policy': [...PAGE_POLICY, frameAncestors(await deps.store.embeddingOrigins(project.id))].join(
          '; ',
        ),
        // A cross-origin-isolated host (COEP require-corp) may frame it only with this; frame-ancestors decides who.
        'cross-origin-resource-policy': 'cross-origin',
        // A list changed by the researcher applies to the next load; nothing keeps the old header.
        'cache-control': 'no-store',
      });
    },
  );

  const auth = projectAuth(deps);
  route(
    app,
    {
      method: 'get',
      path: API.embedding,
      operationId: 'getProjectEmbedding',
      summary: "The host origins that may embed this project's widget",
      tag: 'researcher',
      auth: 'project',
      response: { schema: ProjectEmbedding, description: 'The origins, sorted' },
    },
    [auth],
    async (c) => c.json({ origins: await deps.store.embeddingOrigins(c.get('project').id) }),
  );

  route(
    app,
    {
      method: 'put',
      path: API.embedding,
      operationId: 'setProjectEmbedding',
      summary: "Sets the host origins that may embed this project's widget (replaces the list; empty: none)",
      tag: 'researcher',
      auth: 'project',
      body: ProjectEmbedding,
      response: { schema: ProjectEmbedding, description: 'The origins now stored, sorted' },
    },
    [auth, limitBody(64 * 1024)],
    async (c, { body }) => {
      const project = c.get('project').id;
      await deps.store.setEmbeddingOrigins(project, [...new Set(body.origins)].sort());
      return c.json({ origins: await deps.store.embeddingOrigins(project) });
    },
  );
}

/** Keeps the static file server from serving the frame's HTML without its `frame-ancestors` header. */
export const hideFrameFile: MiddlewareHandler<Env> = async (c) =>
  errorResponse(c, 'not_found', `the widget frame is served at ${API.widgetFrame}?project=…`);
