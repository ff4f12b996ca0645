// One structured line per request, written when the response has gone out (or the client went away), so
// a streamed download is timed to its last byte. The path never carries its query: no secrets in logs.
import type { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger';
import type { Env } from './env';

export const requestLog =
  (logger: Logger): MiddlewareHandler<Env> =>
  async (c, next) => {
    const started = performance.now();
    const line = (status: number, aborted: boolean) =>
      logger.debug(
        {
          method: c.req.method,
          path: c.req.path,
          status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          client: c.get('client'),
          ...(aborted ? { aborted: true } : {}),
        },
        'request',
      );
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    // 'close' comes after 'finish' when the response was sent whole, and alone when the client hung up first.
    if (outgoing) outgoing.once('close', () => line(outgoing.statusCode, !outgoing.writableFinished));
    await next();
    if (!outgoing) line(c.res.status, false);
  };
