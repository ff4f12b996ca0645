// Hono's onError as the coordinator sets it: a bug in a route that read its body whole is our fault, reported
// as one (Node destroys a request once its body has been read, which once made every such bug look like a
// client that hung up: a 400, logged at debug).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, expect, it } from 'vitest';
import type { Logger } from '../logger';
import { handleError } from './errors';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

it('answers a bug after the body was read with 500 internal, logged as an error', async () => {
  const logged: string[] = [];
  const note = (level: string) => (_fields: object, message?: string) => void logged.push(`${level}: ${message}`);
  const logger: Logger = { debug: note('debug'), info: note('info'), warn: note('warn'), error: note('error') };
  const app = new Hono();
  app.post('/x', async (c) => {
    await c.req.json();
    throw new Error('a bug');
  });
  app.onError((err, c) => handleError(err, c, logger));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  closers.push(() => server.close());
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;

  const res = await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', body: JSON.stringify({ a: 1 }) });
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  expect(logged).toEqual(['error: internal error']);
});
