// One HTTP request on a connection of its own, for tests that send hostile or oversized bodies: a server
// that answers before reading the whole body may then drop the connection, and a pooled client (fetch)
// would report the cut write instead of the answer, or send the next request down a dead socket.
import { type ClientRequest, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly type?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Send the body in pieces without a Content-Length (chunked transfer encoding). */
  readonly chunked?: boolean;
}

export interface RawReply {
  readonly status: number;
  readonly contentType: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export function sendRaw(url: string, r: RawRequest): Promise<RawReply> {
  const body = r.body === undefined ? null : typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : r.body;
  const open = openRaw(url, r, body && !r.chunked ? body.byteLength : null);
  if (body && r.chunked) for (let i = 0; i < body.length; i += 4096) open.request.write(body.subarray(i, i + 4096));
  open.request.end(body && !r.chunked ? body : undefined);
  return open.reply;
}

/** A request whose body the caller writes piece by piece (chunked), e.g. to act while an upload is in flight. */
export interface StreamingRequest {
  write(text: string): Promise<void>;
  /** Ends the body and resolves with the answer. */
  end(): Promise<RawReply>;
}

export function streamRaw(url: string, r: Omit<RawRequest, 'body'>): StreamingRequest {
  const { request, reply } = openRaw(url, r, null);
  return {
    write: (text) => new Promise((resolve, reject) => request.write(text, (e) => (e ? reject(e) : resolve()))),
    end: () => {
      request.end();
      return reply;
    },
  };
}

function openRaw(url: string, r: Omit<RawRequest, 'body'>, length: number | null) {
  const headers: Record<string, string> = { ...r.headers };
  if (r.token !== undefined) headers.authorization = `Bearer ${r.token}`;
  if (r.type !== undefined) headers['content-type'] = r.type;
  if (length !== null) headers['content-length'] = String(length);
  let answered = false;
  let request!: ClientRequest;
  const reply = new Promise<RawReply>((resolve, reject) => {
    request = httpRequest(url + r.path, { method: r.method, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    // Once the answer is in, a write cut short by the server closing early is no failure of the request.
    request.on('error', (e) => {
      if (!answered) reject(e);
    });
  });
  return { request, reply };
}

/**
 * Writes `bytes` on a socket of their own and returns all the server wrote back before it closed: for requests
 * node:http cannot send (a Content-Length that is no number, a Host that is no host, an upgrade to `//`).
 */
export function exchangeBytes(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.end(bytes);
  });
}
