// The coordinator's HTTP surface: routes, the OpenAPI document, the volunteer page, and error mapping.
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono } from '@hono/zod-openapi';
import { API } from '@bricolage/protocol';
import { blobRoutes } from './blobs';
import { applyBrowserHeaders } from './browser-headers';
import { errorResponse, handleError } from './errors';
import type { Deps, Env } from './env';
import { resolveClient } from './middleware';
import { publicRoutes } from './public';
import { requestLog } from './request-log';
import { researcherRoutes } from './researcher';
import { volunteerRoutes } from './volunteer';

export function createApp(deps: Deps, webRoot?: string): OpenAPIHono<Env> {
  const app = new OpenAPIHono<Env>();
  app.onError((err, c) => handleError(err, c, deps.logger));
  app.notFound((c) => errorResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.use('*', resolveClient(deps));
  app.use('*', requestLog(deps.logger));
  app.use('*', applyBrowserHeaders());

  publicRoutes(app, deps);
  researcherRoutes(app, deps);
  blobRoutes(app, deps);
  volunteerRoutes(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'projectToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A project token, printed by `npm run coordinator -- project create NAME`',
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
    },
  });

  if (webRoot) {
    app.use('/*', serveStatic({ root: webRoot }));
    app.get('/', serveStatic({ path: `${webRoot}/index.html` }));
  }
  return app;
}
