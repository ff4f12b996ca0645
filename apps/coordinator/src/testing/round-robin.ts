// Several coordinators behind one address, for tests: each request goes to the next process in turn (no
// sticky sessions), streamed both ways. When a process is down or dies mid-request, the client sees what
// it would see from a coordinator that died: its connection cut. A process that refused a connection is
// passed over for a moment, as a load balancer's health check would.
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { Socket } from 'node:net';

const DOWN_FOR_MS = 300;

export class RoundRobin {
  readonly #server: Server;
  readonly #upstreams: URL[];
  readonly #downUntil: number[];
  readonly #sockets = new Set<Socket>();
  #next = 0;
  /** Requests forwarded to each upstream, by index. */
  readonly forwarded: number[];

  private constructor(upstreams: readonly string[]) {
    this.#upstreams = upstreams.map((u) => new URL(u));
    this.#downUntil = upstreams.map(() => 0);
    this.forwarded = upstreams.map(() => 0);
    this.#server = createServer((req, res) => this.#forward(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(upstreams: readonly string[]): Promise<{ proxy: RoundRobin; url: string }> {
    const proxy = new RoundRobin(upstreams);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { proxy, url: `http://127.0.0.1:${port}` };
  }

  #pick(): number {
    const now = Date.now();
    for (let tries = 0; tries < this.#upstreams.length; tries++) {
      const i = this.#next;
      this.#next = (this.#next + 1) % this.#upstreams.length;
      if ((this.#downUntil[i] as number) <= now) return i;
    }
    const i = this.#next;
    this.#next = (this.#next + 1) % this.#upstreams.length;
    return i;
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const i = this.#pick();
    const target = this.#upstreams[i] as URL;
    this.forwarded[i] = (this.forwarded[i] ?? 0) + 1;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
        reply.once('error', () => res.destroy());
        reply.once('aborted', () => res.destroy());
      },
    );
    upstream.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') this.#downUntil[i] = Date.now() + DOWN_FOR_MS;
      // As the client of a coordinator that died would see it: the connection cut, no answer.
      res.destroy();
      req.destroy();
    });
    req.pipe(upstream);
    req.once('aborted', () => upstream.destroy());
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
