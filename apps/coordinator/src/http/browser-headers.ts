// What browsers are told about each response, decided in one place: isolation and embedding for
// everything, a Content-Security-Policy for pages, and CORS for what a page on another origin may use: the
// public log (an auditor's page), and the volunteer API with what it reads (a volunteer page that serves
// several grids). A route that needs otherwise (a page some sites may frame) sets its own.
import { API } from '@bricolage/protocol';
import type { MiddlewareHandler } from 'hono';
import type { Env } from './env';

/**
 * The volunteer page's policy. It loads only its own bundle: scripts, styles and its compute worker from
 * 'self', WebAssembly compiled from bytes ('wasm-unsafe-eval', never 'unsafe-eval'), the API on 'self', and
 * an inline data: icon. The worker's own script carries no policy (a worker's policy is its script's), so
 * onnxruntime-web there is bound only by the worker's code. apps/web/index.html repeats all but
 * frame-ancestors (which a <meta> policy cannot carry) for the dev server; a test keeps the two equal.
 */
export const PAGE_POLICY: readonly string[] = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  // Other coordinators the volunteer adds by URL (several grids): any https origin, and loopback while
  // developing. A page served over https cannot reach http anyway (mixed content).
  "connect-src 'self' https: http://localhost:* http://127.0.0.1:*",
  "img-src 'self' data:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** No one may frame our pages: a framed page invites clicking Start on someone else's behalf. */
const FRAME_ANCESTORS = "frame-ancestors 'none'";

const READ = ['GET', 'HEAD'] as const;

/**
 * What any origin may do, and with which methods: read the log and what describes it, the public project list
 * and status, blobs by hash (a job's assets) and the onnxruntime files; and the volunteer API, whose
 * credential is a bearer token the page holds (never a cookie), so that `Access-Control-Allow-Origin: *`
 * without credentials opens nothing a script elsewhere could not already do with that token. Researcher and
 * operator routes (creating projects, putting blobs, jobs) are not here: they stay same-origin.
 */
const CROSS_ORIGIN: readonly { readonly path: string | RegExp; readonly methods: readonly string[] }[] = [
  ...[API.health, API.wellKnown, API.treeHead, API.inclusion, API.consistency, API.entries].map((path) => ({
    path,
    methods: READ,
  })),
  { path: API.projects, methods: READ },
  // What host pages that embed the widget load and ask, errors included (an unknown project id is said to the card).
  ...[API.widgetScript, API.widgetManifest].map((path) => ({ path, methods: READ })),
  { path: /^\/v1\/widget\/projects\/[^/]*$/, methods: READ },
  { path: /^\/v1\/projects\/[^/]+\/status$/, methods: READ },
  { path: /^\/v1\/blobs\/[^/]+(\/manifest)?$/, methods: READ },
  { path: API.ortWasm, methods: READ },
  // Exports and imports: a page of another grid moves credit from this grid to its own, and presents that grid's
  // exports here (portable credit, http/exports.ts and http/imports.ts).
  ...[API.challenge, API.token, API.lease, API.heartbeat, API.release, API.submit, API.exports, API.imports].map(
    (path) => ({
      path,
      methods: ['POST'],
    }),
  ),
  ...[API.receipts, API.me].map((path) => ({ path, methods: READ })),
  // An export request settled (its answer lost): by the same page of another grid that sent it.
  { path: /^\/v1\/volunteer\/exports\/[^/]+\/settle$/, methods: ['POST'] },
];

/** The request headers a cross-origin volunteer or reader may send. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key';

/** The methods any origin may use on `path`; empty when it is same-origin only. */
export function crossOriginMethods(path: string): readonly string[] {
  const entry = CROSS_ORIGIN.find((e) => (typeof e.path === 'string' ? e.path === path : e.path.test(path)));
  return entry?.methods ?? [];
}

export interface ResponseFacts {
  readonly method: string;
  readonly path: string;
  /** The response's Content-Type, if any. */
  readonly contentType: string | null;
}

/** The headers a response gets, from what it is. */
export function browserHeaders(r: ResponseFacts): Record<string, string> {
  const crossOrigin = crossOriginMethods(r.path).includes(r.method);
  const headers: Record<string, string> = {
    // Cross-origin isolation lets the volunteer page run multithreaded WebAssembly (SharedArrayBuffer).
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': crossOrigin ? 'cross-origin' : 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  if (crossOrigin) headers['Access-Control-Allow-Origin'] = '*';
  if (r.contentType?.startsWith('text/html')) {
    headers['Content-Security-Policy'] = [...PAGE_POLICY, FRAME_ANCESTORS].join('; ');
    // For browsers that predate frame-ancestors.
    headers['X-Frame-Options'] = 'DENY';
  }
  return headers;
}

/**
 * Sets `browserHeaders` on every response, except where the route decided for itself: a response that
 * already carries a Content-Security-Policy keeps it (and gets no X-Frame-Options, which would contradict
 * its frame-ancestors), and one that already carries a Cross-Origin-Resource-Policy keeps that. This is
 * the hook for a page that some sites may frame, or a resource other origins may load.
 */
export const applyBrowserHeaders = (): MiddlewareHandler<Env> => async (c, next) => {
  const preflight = c.req.method === 'OPTIONS' ? preflightHeaders(c.req.path) : null;
  if (preflight) return c.body(null, 204, preflight);
  await next();
  const own = c.res.headers;
  const headers = browserHeaders({ method: c.req.method, path: c.req.path, contentType: own.get('content-type') });
  const kept = new Set<string>();
  if (own.has('Content-Security-Policy')) kept.add('Content-Security-Policy').add('X-Frame-Options');
  if (own.has('Cross-Origin-Resource-Policy')) kept.add('Cross-Origin-Resource-Policy');
  for (const [name, value] of Object.entries(headers)) if (!kept.has(name)) own.set(name, value);
  return undefined;
};

/** The answer to a CORS preflight for `path`, or null when no other origin may use it (then it is a 404). */
function preflightHeaders(path: string): Record<string, string> | null {
  const methods = crossOriginMethods(path);
  if (methods.length === 0) return null;
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': methods.join(', '),
    'Access-Control-Allow-Headers': ALLOWED_HEADERS,
    'Access-Control-Max-Age': '600',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  };
}
