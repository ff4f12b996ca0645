// What browsers are told about each response, decided in one place: isolation and embedding for
// everything, a Content-Security-Policy for pages, and CORS for the public log so that an auditor's page
// on another origin can read it. A route that needs otherwise (a page some sites may frame) sets its own.
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
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** No one may frame our pages: a framed page invites clicking Start on someone else's behalf. */
const FRAME_ANCESTORS = "frame-ancestors 'none'";

/** GET routes anyone may read from any origin: the log and what describes it. Never a credentialed route. */
const PUBLIC_READS: readonly string[] = [API.wellKnown, API.treeHead, API.inclusion, API.consistency, API.entries];

export interface ResponseFacts {
  readonly method: string;
  readonly path: string;
  /** The response's Content-Type, if any. */
  readonly contentType: string | null;
}

/** The headers a response gets, from what it is. */
export function browserHeaders(r: ResponseFacts): Record<string, string> {
  const crossOrigin = (r.method === 'GET' || r.method === 'HEAD') && PUBLIC_READS.includes(r.path);
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
  await next();
  const own = c.res.headers;
  const headers = browserHeaders({ method: c.req.method, path: c.req.path, contentType: own.get('content-type') });
  const kept = new Set<string>();
  if (own.has('Content-Security-Policy')) kept.add('Content-Security-Policy').add('X-Frame-Options');
  if (own.has('Cross-Origin-Resource-Policy')) kept.add('Cross-Origin-Resource-Policy');
  for (const [name, value] of Object.entries(headers)) if (!kept.has(name)) own.set(name, value);
};
