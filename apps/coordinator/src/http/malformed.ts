// Requests the API never sees: what Node's HTTP parser refuses (a Content-Length that is no number, a header too
// large, a request too slow to arrive) and what the Hono adapter cannot make a Request of (a Host that is no
// host, a target like `*`). Node and the adapter answered those with a bare status line; the API's clients get
// the same JSON error body here as from every route.
import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import type { ErrorCode } from '@bricolage/protocol';

const body = (code: ErrorCode, message: string) => JSON.stringify({ error: { code, message } });

/** The `clientError` listener: answers once, when nothing of a response was written yet, and closes. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (error.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'payload_too_large' as const, 'the request head is too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'bad_request' as const, 'the request did not arrive in time']
        : [400, 'Bad Request', 'bad_request' as const, `malformed HTTP request (${error.code ?? error.message})`];
  const text = body(code, message);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
      `Connection: close\r\n\r\n${text}`,
  );
}

/** The adapter's error handler: a request it could not build is the client's error; anything else is ours. */
export function requestErrorResponse(error: unknown, log: (message: string) => void): Response {
  const headers = { 'content-type': 'application/json' };
  if (error instanceof RequestError)
    return new Response(body('bad_request', `malformed HTTP request: ${error.message}`), { status: 400, headers });
  log(`request failed outside the routes: ${(error as Error).stack ?? String(error)}`);
  return new Response(body('internal', 'internal error'), { status: 500, headers });
}
