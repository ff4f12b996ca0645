// A proxy on loopback between the CLI and the coordinator that cuts one work-unit upload, in one of the two
// ways a connection dies: mid-body (the coordinator never commits the batch) or after the coordinator
// answered (it committed the batch, and the client never hears so).
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { answerHeaders, forward, requestBody } from './forward';

export type Cut = 'mid-body' | 'reply-lost';

export interface CuttingProxy {
  readonly url: string;
  /** Work-unit uploads that passed through, the cut one included. */
  readonly uploads: number;
  close(): Promise<void>;
}

/** Forwards everything to `target`, except that the upload number `at` (1-based) is cut as `how`. */
export async function cuttingProxy(target: string, at: number, how: Cut): Promise<CuttingProxy> {
  const upstream = new URL(target);
  let uploads = 0;
  const server: Server = createServer(async (req, res) => {
    const isUpload = req.method === 'POST' && /\/workunits$/.test(req.url ?? '');
    const n = isUpload ? ++uploads : 0;
    const bytes = await requestBody(req);
    if (n === at && how === 'mid-body') {
      // Half the body, then the connection dies: to the coordinator, a client that went away mid-upload.
      const socket = connect(Number(upstream.port), upstream.hostname);
      const headers = Object.entries(req.headers)
        .filter(([k]) => k !== 'host' && k !== 'connection')
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n');
      socket.write(`POST ${req.url} HTTP/1.1\r\nhost: ${upstream.host}\r\nconnection: close\r\n${headers}\r\n\r\n`);
      socket.write(bytes.subarray(0, bytes.length >> 1), () => {
        socket.destroy();
        req.socket.destroy();
      });
      return;
    }
    const answer = await forward(req, bytes, target);
    const reply = Buffer.from(await answer.arrayBuffer());
    // The coordinator has answered, so it committed the batch; the client never hears it.
    if (n === at && how === 'reply-lost') {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, answerHeaders(answer));
    res.end(reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get uploads() {
      return uploads;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
