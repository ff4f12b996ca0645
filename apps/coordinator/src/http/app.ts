// The coordinator's HTTP surface: routes, the OpenAPI document, the volunteer page, and error mapping.
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono } from '@hono/zod-openapi';
import { API } from '@bricolage/protocol';
import { errorResponse, handleError } from './errors';
import type { Deps, Env } from './env';
import { peerRoutes } from './peers';
import { projectRoutes } from './projects';
import { publicRoutes } from './public';
import { researcherRoutes } from './researcher';
import { volunteerRoutes } from './volunteer';
import { FRAME_FILE, frameAncestors, hideFrameFile, widgetRoutes } from './widget';

/** A request as it arrived, for whoever watches the coordinator's traffic (the widget's tests do). */
export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  /** The `Origin` header: which page's script made the request, when the browser says. */
  readonly origin: string | null;
}

export interface AppOptions {
  /** A directory served at `/` (the volunteer page, and the widget's frame). */
  readonly webRoot?: string;
  /** The built widget.js (packages/widget/dist/widget.js). */
  readonly widgetScript?: string;
  readonly onRequest?: (request: RequestRecord) => void;
}

export function createApp(deps: Deps, options: AppOptions = {}): OpenAPIHono<Env> {
  const { webRoot, onRequest } = options;
  const app = new OpenAPIHono<Env>();
  app.onError((err, c) => handleError(err, c, deps.logError));
  app.notFound((c) => errorResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));

  if (onRequest)
    app.use('*', async (c, next) => {
      onRequest({ method: c.req.method, path: c.req.path, origin: c.req.header('origin') ?? null });
      await next();
    });

  // Cross-origin isolation lets the volunteer page run multithreaded WebAssembly (SharedArrayBuffer),
  // and nothing else may embed our resources: only the widget's script and card facts say otherwise.
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    c.res.headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
    if (!c.res.headers.has('Cross-Origin-Resource-Policy'))
      c.res.headers.set('Cross-Origin-Resource-Policy', 'same-origin');
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    // No page of ours may be framed (clickjacking the volunteer page's Start), except the widget's frame,
    // which carries its project's own frame-ancestors. A <meta> CSP cannot say this: it must be a header.
    if (!c.res.headers.has('Content-Security-Policy') && /^text\/html\b/i.test(c.res.headers.get('content-type') ?? ''))
      c.res.headers.set('Content-Security-Policy', frameAncestors([]));
  });

  publicRoutes(app, deps);
  projectRoutes(app, deps);
  researcherRoutes(app, deps);
  volunteerRoutes(app, deps);
  peerRoutes(app, deps);
  widgetRoutes(app, deps, {
    ...(options.widgetScript ? { script: options.widgetScript } : {}),
    ...(webRoot ? { frame: join(webRoot, FRAME_FILE) } : {}),
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'projectToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A project token, returned once by POST /v1/projects (`npm run coordinator -- project create NAME`)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'operatorToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      "The operator token in the coordinator's data directory (DATA_DIR/operator-token), printed at its first start; `npm run coordinator -- operator-token` shows it",
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'volunteerToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A short-lived token from POST /v1/auth/token (a signed single-use challenge)',
  });
  app.doc31(API.openapi, {
    openapi: '3.1.0',
    info: {
      title: 'Bricolage coordinator',
      version: deps.version,
      description: 'Jobs, work units, leases, replicated validation, credits and a public receipt log.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    // Relative: the document describes whichever coordinator serves it, and stays byte-identical
    // between coordinators (a typed client is generated from it and checked for drift).
    servers: [{ url: '/', description: 'The coordinator that serves this document' }],
    tags: [
      {
        name: 'public',
        description: 'Health, discovery, the projects and their status, blobs by hash: no credentials',
      },
      {
        name: 'researcher',
        description: "A project's jobs, work units, progress and results, with its project token",
      },
      {
        name: 'volunteer',
        description:
          'Challenge and token, leases, heartbeats, results and receipts, peer rooms, with a volunteer token',
      },
      { name: 'log', description: 'The public append-only receipt log: tree heads, proofs, entries' },
      { name: 'operator', description: "The grid's operator: creating projects, with the operator token" },
    ],
  });

  if (webRoot) {
    app.use(FRAME_FILE, hideFrameFile);
    app.use('/*', serveStatic({ root: webRoot }));
    app.get('/', serveStatic({ path: `${webRoot}/index.html` }));
  }
  return app;
}
