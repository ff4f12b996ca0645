// The coordinator's HTTP surface: routes, the OpenAPI document, the volunteer page and the researcher
// dashboard, and error mapping.
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono } from '@hono/zod-openapi';
import { API } from '@bricolage/protocol';
import { blobRoutes } from './blobs';
import { applyBrowserHeaders } from './browser-headers';
import { errorResponse, handleError } from './errors';
import type { Deps, Env } from './env';
import { resolveClient } from './middleware';
import { operatorRoutes } from './operator';
import { peerRoutes } from './peers';
import { fundedProjectRoutes } from './funded-projects';
import { exportRoutes } from './exports';
import { importRoutes } from './imports';
import { projectRoutes } from './projects';
import { publicRoutes } from './public';
import { requestLog } from './request-log';
import { researcherRoutes } from './researcher';
import { volunteerRoutes } from './volunteer';
import { FRAME_FILE, hideFrameFile, widgetRoutes } from './widget';

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
  app.onError((err, c) => handleError(err, c, deps.logger));
  app.notFound((c) => errorResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));

  if (onRequest)
    app.use('*', async (c, next) => {
      onRequest({ method: c.req.method, path: c.req.path, origin: c.req.header('origin') ?? null });
      await next();
    });

  app.use('*', resolveClient(deps));
  app.use('*', requestLog(deps.logger));
  app.use('*', applyBrowserHeaders());

  publicRoutes(app, deps);
  projectRoutes(app, deps);
  operatorRoutes(app, deps);
  researcherRoutes(app, deps);
  blobRoutes(app, deps);
  volunteerRoutes(app, deps);
  fundedProjectRoutes(app, deps);
  exportRoutes(app, deps);
  importRoutes(app, deps);
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
      {
        name: 'operator',
        description: "The grid's operator: creating projects and banning volunteer keys, with the operator token",
      },
    ],
  });

  if (webRoot) {
    app.use(FRAME_FILE, hideFrameFile);
    app.use('/*', serveStatic({ root: webRoot }));
    app.get('/', serveStatic({ path: `${webRoot}/index.html` }));
    // The researcher dashboard, a page of its own (apps/web/dashboard.html).
    app.get('/dashboard', serveStatic({ path: `${webRoot}/dashboard.html` }));
  }
  return app;
}
