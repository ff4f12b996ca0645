// Declares a route once: the same zod schemas validate the request and generate its OpenAPI entry,
// so the document cannot drift from what the server accepts.
import { ErrorBody, unknownFieldsProblem } from '@bricolage/protocol';
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { type ZodType, z } from 'zod';
import { ApiError } from './errors';
import type { Env } from './env';

type Method = 'get' | 'post' | 'put';

export interface RouteSpec<Body extends ZodType | undefined, Query extends ZodType | undefined> {
  readonly method: Method;
  /** Unique, camelCase: what generated clients and documentation call the operation. */
  readonly operationId: string;
  /** Hono style: `/v1/jobs/:job`. */
  readonly path: string;
  readonly summary: string;
  /** The longer explanation, when the summary cannot carry it. */
  readonly description?: string;
  readonly tag: 'public' | 'researcher' | 'volunteer' | 'log' | 'operator';
  readonly auth?: 'project' | 'volunteer' | 'operator';
  readonly body?: Body;
  /**
   * A field the schema does not know is refused, not dropped: for a body a person writes (a job's manifest), and one
   * whose misspelt field would change what it does (an export's requestId).
   */
  readonly strict?: boolean;
  /** For bodies that are not JSON (NDJSON, raw bytes): documented, read by the handler itself. */
  readonly rawBody?: { readonly contentType: string; readonly description: string };
  readonly query?: Query;
  /** Request headers the handler reads itself: documented only. */
  readonly headers?: ZodType;
  readonly response: { readonly contentType?: string; readonly schema?: ZodType; readonly description: string };
}

type Parsed<T> = T extends ZodType ? z.output<T> : undefined;
export type Handler<Body, Query> = (
  c: Context<Env>,
  input: { body: Parsed<Body>; query: Parsed<Query> },
) => Promise<Response> | Response;

export function describeZodError(error: z.ZodError): string {
  // A path names the field; none, the value itself (a body that is no object, a path parameter).
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

export function parseWith<T extends ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApiError('bad_request', `invalid ${what}: ${describeZodError(result.error)}`);
  return result.data;
}

export function route<Body extends ZodType | undefined = undefined, Query extends ZodType | undefined = undefined>(
  app: OpenAPIHono<Env>,
  spec: RouteSpec<Body, Query>,
  middleware: readonly MiddlewareHandler<Env>[],
  handler: Handler<Body, Query>,
): void {
  const params = [...spec.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
  const config: RouteConfig = {
    method: spec.method,
    path: spec.path.replace(/:([A-Za-z]+)/g, '{$1}'),
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    // Public routes say so explicitly: no credentials at all.
    security: spec.auth ? [{ [`${spec.auth}Token`]: [] }] : [],
    request: {
      ...(params.length ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.headers ? { headers: spec.headers as never } : {}),
      ...(spec.body
        ? { body: { required: true, content: { 'application/json': { schema: spec.body as ZodType } } } }
        : spec.rawBody
          ? {
              body: {
                required: true,
                description: spec.rawBody.description,
                content: { [spec.rawBody.contentType]: { schema: z.string() } },
              },
            }
          : {}),
    },
    responses: {
      200: {
        description: spec.response.description,
        ...(spec.response.schema
          ? { content: { [spec.response.contentType ?? 'application/json']: { schema: spec.response.schema } } }
          : {}),
      },
      '4XX': { description: 'Rejected request', content: { 'application/json': { schema: ErrorBody } } },
    },
  };
  app.openAPIRegistry.registerPath(config);
  app.on([spec.method.toUpperCase()], [spec.path], ...middleware, async (c) => {
    let body: unknown;
    if (spec.body) {
      // application/json itself (not application/json-seq), in UTF-8: the body is decoded as UTF-8 whatever it says.
      const type = c.req.header('content-type') ?? '';
      const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
      if (!/^application\/json\s*(;|$)/i.test(type) || (charset !== undefined && !/^utf-?8$/i.test(charset)))
        throw new ApiError('unsupported_media_type', 'expected Content-Type: application/json (UTF-8)');
      const text = await c.req.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new ApiError('bad_request', `malformed JSON: ${(e as Error).message}`);
      }
      body = parseWith(spec.body, json, 'request body');
      const unknown = spec.strict ? unknownFieldsProblem(json, body) : null;
      if (unknown) throw new ApiError('bad_request', `invalid request body: ${unknown}`);
    }
    const query = spec.query ? parseWith(spec.query, c.req.query(), 'query') : undefined;
    return handler(c as Context<Env>, { body, query } as { body: Parsed<Body>; query: Parsed<Query> });
  });
}
