// Slow and greedy clients on raw sockets against a real listening coordinator, with its timeouts made
// small: each must be cut off by the server, not left holding a socket for minutes.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinatorConfig } from '../config';
import { type Coordinator, startCoordinator } from '../server';

// Small enough to keep the test short, far above what a loopback request needs. Every wait below is for
// an event (the server closing the socket), bounded by WAIT_MS only so a regression fails instead of hanging.
const LIMITS: Partial<CoordinatorConfig> = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  idleTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  connectionsCheckMs: 50,
  maxConnectionsPerAddress: 4,
};
const WAIT_MS = 10_000;

interface Client {
  readonly socket: Socket;
  /** Resolves with what the server sent once it closed the socket. */
  readonly closed: Promise<string>;
}

async function open(port: number): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
  });
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}

/** Writes `text` a byte at a time every `everyMs` until the socket closes; resolves with the bytes it sent. */
function dribble(socket: Socket, text: string, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) {
        clearInterval(timer);
        resolve(i);
        return;
      }
      socket.write(text[i++] as string);
    }, everyMs);
  });
}

const within = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still open after ${WAIT_MS} ms: ${what}`)), WAIT_MS),
    ),
  ]);

/** A GET on its own socket; resolves with the status line's code. */
async function get(client: Client, path: string): Promise<number> {
  return new Promise((resolve) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        client.socket.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    client.socket.on('data', onData);
    client.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

describe('slow clients', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-slow-'));
    coordinator = await startCoordinator({ dataDir: dir, port: 0, config: LIMITS, log: () => undefined });
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts off a client that dribbles its headers', async () => {
    const client = await open(coordinator.port);
    const head = `GET ${API.health} HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(100)}\r\n`;
    const sent = dribble(client.socket, head, 20);
    const answer = await within(client.closed, 'header dribbler');
    // Cut off mid-head (with 408), not served: the dribbler never got to finish.
    expect(await sent).toBeLessThan(head.length);
    expect(answer).toMatch(/^(HTTP\/1\.1 408|$)/);
  });

  it('closes a socket that never sends a byte', async () => {
    const client = await open(coordinator.port);
    expect(await within(client.closed, 'silent socket')).toMatch(/^(HTTP\/1\.1 408|$)/);
  });

  it('cuts off a client that dribbles its body', async () => {
    const client = await open(coordinator.port);
    client.socket.write(
      `POST ${API.challenge} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n`,
    );
    const body = `{"volunteer":"${'A'.repeat(1980)}"}`;
    const sent = dribble(client.socket, body, 20);
    await within(client.closed, 'body dribbler');
    expect(await sent).toBeLessThan(body.length);
  });

  it('closes a kept-alive socket that sends no next request', async () => {
    const client = await open(coordinator.port);
    expect(await get(client, API.health)).toBe(200);
    await within(client.closed, 'idle keep-alive socket');
  });
});

describe('connections per address', () => {
  let dir: string;
  let coordinator: Coordinator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-conns-'));
    // Long timeouts: the sockets held below must not time out while the test counts them, however slow the machine.
    coordinator = await startCoordinator({
      dataDir: dir,
      port: 0,
      config: { maxConnectionsPerAddress: 4, keepAliveTimeoutMs: 600_000, idleTimeoutMs: 600_000 },
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await coordinator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('caps the sockets one address holds open, and counts a closed one as gone', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => open(coordinator.port)));
    for (const c of held) expect(await get(c, API.health)).toBe(200);
    const refused = await open(coordinator.port);
    expect(await within(refused.closed, 'socket over the cap')).toBe('');
    held[0]?.socket.destroy();
    await held[0]?.closed;
    // The server learns of the close asynchronously: poll until a fifth socket is served.
    await expect
      .poll(async () => {
        const next = await open(coordinator.port);
        const status = await Promise.race([get(next, API.health), next.closed.then(() => 0)]);
        next.socket.destroy();
        return status;
      })
      .toBe(200);
    for (const c of held) c.socket.destroy();
  });
});
