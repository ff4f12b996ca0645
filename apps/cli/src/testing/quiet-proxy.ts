// A proxy on loopback between the CLI and the coordinator that goes quiet on the requests a test picks: it
// takes them and answers nothing — a coordinator overloaded or gone with the connection still open — or passes them
// on and cuts the connection instead of answering.
// Everything else passes through, streamed (the event stream included).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { answerHeaders, forward, requestBody } from './forward';

export interface QuietProxy {
  readonly url: string;
  /** The requests it went quiet on. */
  readonly held: readonly string[];
  close(): Promise<void>;
}

export interface Silence {
  /** Which requests to go quiet on, by method and path; `n` counts the requests so far, from 1. */
  readonly when: (req: IncomingMessage, n: number) => boolean;
  /**
   * Pass such a request on, and cut the connection once the coordinator has answered, instead of holding it: the
   * coordinator did what was asked, and its answer never came.
   */
  readonly cut?: boolean;
  /** Pass such a request on, and answer this status with a page of the proxy's own (502: the coordinator died). */
  readonly gateway?: number;
}

export async function quietProxy(target: string, silence: Silence): Promise<QuietProxy> {
  const held: string[] = [];
  let n = 0;
  const server: Server = createServer(async (req, res) => {
    const bytes = await requestBody(req);
    if (silence.when(req, ++n)) {
      held.push(`${req.method} ${req.url}`);
      if (silence.cut || silence.gateway) {
        await (await forward(req, bytes, target)).arrayBuffer();
        if (silence.gateway)
          res.writeHead(silence.gateway, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>');
        else req.socket.destroy();
      }
      return;
    }
    const answer = await forward(req, bytes, target);
    res.writeHead(answer.status, answerHeaders(answer));
    // A stream still open when the test closes the coordinator ends here, not as an unhandled error.
    if (answer.body) await pipeline(Readable.fromWeb(answer.body as never), res).catch(() => res.destroy());
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
