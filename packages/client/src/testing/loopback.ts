// For the client's tests: a one-route HTTP server on loopback that answers as the test likes (a coordinator
// that cuts, stalls or lies), a line of results it may send, and the items of a stream collected.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class Loopback {
  #server: Server | null = null;

  /** Serves `respond` on a free port; its URL. */
  async serve(respond: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(respond);
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops serving, connections held open by a test included. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A validated unit's line of the results download, as the coordinator writes it. */
export const resultLine = (cursor: number): string =>
  JSON.stringify({
    cursor,
    workUnit: `wu_${cursor}`,
    tag: 'a',
    state: 'validated',
    outputHash: '0'.repeat(64),
    output: 'AAAA',
    reason: null,
    at: 1,
  });

/** Every item of `items`, waiting `eachMs` after each (a slow reader). */
export async function collect<T>(items: AsyncIterable<T>, eachMs = 0): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (eachMs > 0) await new Promise((r) => setTimeout(r, eachMs));
  }
  return out;
}
