// Requests that never reach a route, over a raw socket: Node's parser refuses them, or the adapter cannot make a
// Request of them. Each gets the API's JSON error body (it was a bare status line), and the coordinator goes on.
// A client still sending when it is answered is let finish before the socket closes: a reset could cut the answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
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
      expect(JSON.parse(text ?? '')).toMatchObject({
        error: { code: 'bad_request', message: expect.stringMatching(/malformed/) },
      });
    });

  it('answers a head too large with a JSON 431, and lets the client finish sending before it closes', async () => {
    const { hostname, port } = new URL(coordinator.url);
    // Half-open, as a client that writes its whole request whatever it reads: the server's end does not end it.
    const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
    let answer = '';
    const errors: string[] = [];
    socket.on('error', (e: Error & { code?: string }) => errors.push(e.code ?? e.message));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const arrived = new Promise<void>((resolve) =>
      socket.on('data', (chunk) => {
        answer += chunk.toString();
        if (answer.includes('\r\n\r\n')) resolve();
      }),
    );
    // Past Node's 16 KiB limit on a request head: answered before the rest of it is sent.
    socket.write(`GET /healthz?x=${'A'.repeat(20_000)}`);
    await arrived;
    // The rest arrives in reads of its own, each another parse error on the server; a socket closed on one of them
    // resets the client for the next.
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) =>
        socket.write('A'.repeat(60_000), (e) => {
          if (e) errors.push(`write: ${e.message}`);
          resolve();
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    socket.end(' HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    expect(errors).toEqual([]);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('still serves afterwards', async () => {
    expect((await fetch(`${coordinator.url}/healthz`)).status).toBe(200);
  });
});
