// The benchmark's one HTTP client, used for the volunteers' requests and the bare `/healthz` baseline
// alike: node:http over keep-alive sockets. Node 20's global fetch costs the client several times
// more CPU per request than this, and on two cores the client's cost would become the measurement.
import { Agent, request } from 'node:http';

export interface Reply<T> {
  readonly status: number;
  readonly body: T;
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

  /** A JSON request; `token` becomes the bearer credential. */
  send<T>(method: 'GET' | 'POST', path: string, json?: unknown, token?: string): Promise<Reply<T>> {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
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
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
