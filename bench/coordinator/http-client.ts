// The benchmark's one HTTP client, used for the volunteers' requests and the bare `/healthz` baseline
// alike: node:http over keep-alive sockets. Node 20's global fetch costs the client several times
// more CPU per request than this, and on two cores the client's cost would become the measurement.
import { Agent, request } from 'node:http';

export interface Reply<T> {
  readonly status: number;
  readonly body: T;
}

class ResetOnReuse extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(url: string, sockets: number) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    // Idle sockets are dropped after 4 s, before Node's server closes them at 5 s (keepAliveTimeout):
    // otherwise a request can go out on a socket the server is closing and fail with ECONNRESET.
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, timeout: 4000 });
  }

  /** Requests sent again after a keep-alive socket was reset under them (see `send`). */
  retried = 0;

  /** A JSON request; `token` becomes the bearer credential; `headers` are sent as they are. */
  async send<T>(
    method: 'GET' | 'POST',
    path: string,
    json?: unknown,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<Reply<T>> {
    const body = json === undefined ? undefined : JSON.stringify(json);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, body, token, headers);
      } catch (e) {
        // Node's server closes a keep-alive socket idle for 5 s; a request already on its way down it is
        // reset unread. Node's documentation says to send it again: the server never saw it.
        if (!(e instanceof ResetOnReuse) || attempt === 3) throw e instanceof ResetOnReuse ? e.cause : e;
        this.retried++;
      }
    }
  }

  private once<T>(
    method: string,
    path: string,
    body: string | undefined,
    token?: string,
    extra?: Record<string, string>,
  ): Promise<Reply<T>> {
    const headers: Record<string, string | number> = { ...extra };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T });
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(!answered && req.reusedSocket && e.code === 'ECONNRESET' ? new ResetOnReuse(e) : e),
      );
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
