// Requests the API never sees: what Node's HTTP parser refuses (a Content-Length that is no number, a header too
// large, a request too slow to arrive) and what the Hono adapter cannot make a Request of (a Host that is no
// host, a target like `*`). Node and the adapter answered those with a bare status line; the API's clients get
// the same JSON error body here as from every route.
import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import type { ErrorCode } from '@bricolage/protocol';

const body = (code: ErrorCode, message: string) => JSON.stringify({ error: { code, message } });

/**
 * After answering, what the client still sends is read and dropped, up to these bounds, before the socket closes: a
 * socket closed with bytes still arriving is reset, and a client reset while it writes the rest of its request (a
 * head too large arrives in several reads, each a parse error of its own) may lose the answer (RFC 9112 §9.6).
 */
const LINGER_MS = 2_000;
const LINGER_BYTES = 1024 * 1024;

const bytesRead = (socket: Duplex) => (socket as Duplex & { bytesRead?: number }).bytesRead ?? 0;

/**
 * A server's `clientError` listener: answers once, when nothing of a response was written yet, and closes once the
 * client has stopped sending (or after LINGER_MS or LINGER_BYTES more). Node's parser reports every later read of an
 * answered socket as another error: those are the bytes being dropped.
 */
export function clientErrorAnswer(): (error: Error & { code?: string }, socket: Duplex) => void {
  /** The sockets answered, each with what it had read then. */
  const answered = new WeakMap<Duplex, number>();
  return (error, socket) => {
    const since = answered.get(socket);
    if (since !== undefined) {
      if (error.code === 'ECONNRESET' || bytesRead(socket) - since > LINGER_BYTES) socket.destroy();
      return;
    }
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
    answered.set(socket, bytesRead(socket));
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
    // Half-closed: the client reads the answer and ends its side, and the socket closes with nothing left unread.
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `Connection: close\r\n\r\n${text}`,
    );
  };
}

/** The adapter's error handler: a request it could not build is the client's error; anything else is ours. */
export function requestErrorResponse(error: unknown, log: (message: string) => void): Response {
  const headers = { 'content-type': 'application/json' };
  if (error instanceof RequestError)
    return new Response(body('bad_request', `malformed HTTP request: ${error.message}`), { status: 400, headers });
  log(`request failed outside the routes: ${(error as Error).stack ?? String(error)}`);
  return new Response(body('internal', 'internal error'), { status: 500, headers });
}
