// What the CLI tests' proxies share: a request's body read whole, passed on to the coordinator, and the
// coordinator's answer's headers less those of the hop itself.
import type { IncomingMessage } from 'node:http';

export async function requestBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The request, with the body already read, as the coordinator at `target` gets it from the proxy. */
export function forward(req: IncomingMessage, bytes: Buffer, target: string): Promise<Response> {
  const headers = Object.fromEntries(
    Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection' && k !== 'content-length'),
  ) as Record<string, string>;
  return fetch(new URL(req.url ?? '/', target), {
    method: req.method ?? 'GET',
    headers,
    ...(bytes.length > 0 ? { body: new Uint8Array(bytes) } : {}),
  });
}

/** The answer's headers for the proxy's own response, which sets its length and framing itself. */
export const answerHeaders = (answer: Response): Record<string, string> =>
  Object.fromEntries(
    [...answer.headers].filter(([k]) => k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection'),
  );
