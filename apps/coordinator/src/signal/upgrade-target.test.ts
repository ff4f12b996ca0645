// A WebSocket handshake whose request target is no URL path (`//`) reached `new URL` in the `upgrade` listener,
// where nothing catches a throw: one request without credentials ended the coordinator. Now it is refused like
// any other unknown address, and the coordinator goes on serving.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coordinator, startCoordinator } from '../server';
import { exchangeBytes } from '../testing/raw-http';

describe('the signaling handshake', () => {
  let coordinator: Coordinator;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bricolage-upgrade-'));
    coordinator = await startCoordinator({ dataDir, log: () => undefined });
  });
  afterAll(async () => {
    await coordinator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a request target that is no path with a JSON 404, and the coordinator keeps serving', async () => {
    for (const target of ['//', '//x/y', '///signal', 'http://[']) {
      const answer = await exchangeBytes(
        coordinator.url,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      expect(answer, target).toMatch(/^HTTP\/1\.1 (404|400) /);
      if (answer.startsWith('HTTP/1.1 404')) expect(answer).toContain('"code":"not_found"');
    }
    expect((await fetch(`${coordinator.url}/healthz`)).status).toBe(200);
  });
});
