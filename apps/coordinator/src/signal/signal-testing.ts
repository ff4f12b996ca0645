// A real coordinator over loopback with its signaling WebSocket, and raw clients of it: what the signaling tests
// (signal-server.test.ts, signal-hostile.test.ts, signal-bans.test.ts) share.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { type PeerRoom, roomName } from '@bricolage/protocol/peer';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { ManualClock } from '../clock';
import { type CoordinatorConfig, DEFAULT_CONFIG } from '../config';
import { type Coordinator, startCoordinator } from '../server';
import { SimVolunteer } from '../testing/sim-volunteer';

export const LIMITS: CoordinatorConfig['signal'] = {
  ...DEFAULT_CONFIG.signal,
  maxMessageBytes: 1024,
  messagesPerSecond: 10,
  messageBurst: 20,
  maxTopicsPerConnection: 2,
  maxConnectionsPerAddress: 8,
  ticketSeconds: 600,
};

export interface Started {
  readonly coordinator: Coordinator;
  readonly clock: ManualClock;
  readonly logs: string[];
  readonly projects: string[];
  readonly volunteer: SimVolunteer;
  close(): Promise<void>;
}

export async function start(
  limits: Partial<CoordinatorConfig['signal']> = {},
  config: Partial<CoordinatorConfig> = {},
): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-signal-'));
  const clock = new ManualClock(Date.now());
  const logs: string[] = [];
  const coordinator = await startCoordinator({
    dataDir,
    clock,
    log: (line) => logs.push(line),
    config: { ...config, signal: { ...LIMITS, ...limits } },
  });
  const projects: string[] = [];
  for (const name of ['one', 'two', 'three']) projects.push((await coordinator.createProject(name)).project);
  const volunteer = await SimVolunteer.create(coordinator.url);
  return {
    coordinator,
    clock,
    logs,
    projects,
    volunteer,
    close: async () => {
      await coordinator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function peerRoom(s: Started, project: string, volunteer = s.volunteer): Promise<PeerRoom> {
  const reply = await volunteer.get<PeerRoom>(`${API.peerRoom}?project=${project}`);
  if (reply.status !== 200) throw new Error(`peer-room: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** A raw client: what it received, and how it was closed. */
export interface Client {
  readonly ws: WebSocket;
  readonly received: Record<string, unknown>[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Resolves with the next message that matches. */
  next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

export type Handshake = { ok: true; client: Client } | { ok: false; status: number; body: unknown };

export function wsUrl(s: Started, path: string): string {
  return s.coordinator.url.replace(/^http/, 'ws') + path;
}

export function connect(
  url: string,
  options: { autoPong?: boolean; headers?: Record<string, string> } = {},
): Promise<Handshake> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    const received: Record<string, unknown>[] = [];
    const waiters: { match: (m: Record<string, unknown>) => boolean; done: (m: Record<string, unknown>) => void }[] =
      [];
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      received.push(message);
      for (const w of [...waiters])
        if (w.match(message)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.done(message);
        }
    });
    ws.on('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () => resolve({ ok: false, status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.on('open', () =>
      resolve({
        ok: true,
        client: {
          ws,
          received,
          closed,
          send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
          next: (match) => {
            const found = received.find(match);
            if (found) return Promise.resolve(found);
            return new Promise((done) => waiters.push({ match, done }));
          },
        },
      }),
    );
  });
}

export async function enter(s: Started, project: string, volunteer = s.volunteer): Promise<Client> {
  const room = await peerRoom(s, project, volunteer);
  const handshake = await connect(wsUrl(s, room.signaling));
  if (!handshake.ok) throw new Error(`refused: ${handshake.status} ${JSON.stringify(handshake.body)}`);
  handshake.client.send({ type: 'subscribe', topics: [room.room] });
  // Subscriptions are handled in order: a ping answered means the subscribe before it took effect.
  handshake.client.send({ type: 'ping' });
  await handshake.client.next((m) => m.type === 'pong');
  return handshake.client;
}

/** Pongs a client has had: waiting for one more is waiting for the server to have handled what came before. */
export const pongs = (c: Client) => c.received.filter((m) => m.type === 'pong').length;

/** The coordinator still answers HTTP, and two fresh clients still reach each other through /signal. */
export async function stillServing(s: Started): Promise<void> {
  expect((await fetch(s.coordinator.url + API.health)).status).toBe(200);
  const a = await enter(s, s.projects[0] as string);
  const b = await enter(s, s.projects[0] as string);
  a.send({ type: 'publish', topic: roomName(s.projects[0] as string), data: 'still here' });
  expect(await b.next((m) => m.data === 'still here')).toBeTruthy();
  a.ws.close();
  b.ws.close();
}
