// Requests that never reach a route, over a raw socket: Node's parser refuses them, or the adapter cannot make a
// Request of them. Each gets the API's JSON error body (it was a bare status line), and the coordinator goes on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';
import { exchangeBytes } from '../testing/raw-http';

describe('a request no route sees', () => {
  let coordinator: Coordinator;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bricolage-malformed-'));
    coordinator = await startCoordinator({ dataDir, log: () => undefined });
  });
  afterAll(async () => {
    await coordinator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cases: [string, string][] = [
    ['a Content-Length that is no number', 'POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    ['a negative Content-Length', 'POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'],
    [
      'Content-Length and Transfer-Encoding together',
      'POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['a Host that is no host', 'GET /healthz HTTP/1.1\r\nHost: [\r\nConnection: close\r\n\r\n'],
    ['a Host with a user part', 'GET /healthz HTTP/1.1\r\nHost: a@b\r\nConnection: close\r\n\r\n'],
    ['the asterisk target', 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ];
  for (const [name, request] of cases)
    it(`answers ${name} with a JSON 400`, async () => {
      const answer = await exchangeBytes(coordinator.url, request);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      const [, text] = answer.split('\r\n\r\n');
      expect(JSON.parse(text ?? '')).toMatchObject({ error: { code: 'bad_request', message: /malformed/ } });
    });

  it('still serves afterwards', async () => {
    expect((await fetch(`${coordinator.url}/healthz`)).status).toBe(200);
  });
});
