// The coordinator's logs as an operator reads them: one structured line per request, no query strings,
// and silence (but for that line) when a client hangs up mid-request.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../logger';
import { type Coordinator, startCoordinator } from '../server';

interface Entry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string | undefined;
}

function recordingLogger(entries: Entry[]): Logger {
  const at =
    (level: Entry['level']) =>
    (fields: object, message?: string): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Sends the head of a request and part of its body, then hangs up. */
async function hangUpMidBody(port: number, head: string): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  await new Promise<void>((resolve) => socket.write(`${head}Content-Length: 1000\r\n\r\n{"volun`, () => resolve()));
  socket.destroy();
}

describe('request logs', () => {
  const entries: Entry[] = [];
  let dir: string;
  let coordinator: Coordinator;
  let token: string;
  const requestLines = () => entries.filter((e) => e.message === 'request');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-logs-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0, logger: recordingLogger(entries) });
    ({ token } = await coordinator.createProject('logs'));
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one line per request: method, path without its query, status, duration and client', async () => {
    entries.length = 0;
    const res = await fetch(`${coordinator.url}${API.entries}?start=0&end=1&secret=hunter2`);
    await res.arrayBuffer();
    await expect.poll(() => requestLines().length).toBe(1);
    const [line] = requestLines();
    expect(line?.level).toBe('debug');
    expect(line?.fields).toMatchObject({ method: 'GET', path: API.entries, status: res.status, client: '127.0.0.1' });
    expect(typeof line?.fields.ms).toBe('number');
    expect(JSON.stringify(entries)).not.toContain('hunter2');
  });

  it('never logs credentials', async () => {
    entries.length = 0;
    const res = await fetch(coordinator.url + API.jobs, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    await expect.poll(() => requestLines().length).toBe(1);
    expect(JSON.stringify(entries)).not.toContain(token);
  });

  it('records a client that hangs up mid-body as an aborted request, not as an internal error', async () => {
    entries.length = 0;
    await hangUpMidBody(
      coordinator.port,
      `POST ${API.challenge} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`,
    );
    await hangUpMidBody(
      coordinator.port,
      `POST ${API.jobs} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n`,
    );
    await expect.poll(() => requestLines().length).toBe(2);
    expect(requestLines().map((l) => l.fields.aborted)).toEqual([true, true]);
    expect(entries.filter((e) => e.level === 'error' || e.level === 'warn')).toEqual([]);
  });
});
