// The stock y-webrtc client from npm, unmodified, against the coordinator's /signal: its signaling client
// subscribes, publishes and pings through it, and a stock WebrtcProvider joins a project's room with the ticket and
// secret the coordinator hands out, its announcement encrypted with that secret and relayed to the room.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, fromBase64 } from '@bricolage/protocol';
import type { PeerRoom } from '@bricolage/protocol/peer';
import { SignalingConn, stockProvider } from '@bricolage/peer/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Coordinator, startCoordinator } from '../server';
import { SimVolunteer } from '../testing/sim-volunteer';

// lib0's WebSocket client (under y-webrtc) uses the global WebSocket, which Node 20 does not have.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

type Message = { type: string; topic?: string; data?: unknown };

/** The next message the stock client emits that matches. */
function nextMessage(conn: SignalingConn, match: (m: Message) => boolean): Promise<Message> {
  return new Promise((resolve) => {
    const listener = (m: Message) => {
      if (!match(m)) return;
      conn.off('message', listener);
      resolve(m);
    };
    conn.on('message', listener);
  });
}

const connected = (conn: SignalingConn) =>
  conn.connected ? Promise.resolve() : new Promise<void>((resolve) => conn.once('connect', () => resolve()));

/** Reads lib0's encoding: var-uints, var-length byte strings, and `writeAny` values (the kinds y-webrtc sends). */
function lib0Reader(bytes: Uint8Array) {
  let at = 0;
  const varUint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++] as number;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value;
    }
  };
  const take = () => {
    const n = varUint();
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const string = () => new TextDecoder().decode(take());
  const any = (): unknown => {
    const tag = bytes[at++] as number;
    switch (tag) {
      case 119:
        return string();
      case 118: {
        const object: Record<string, unknown> = {};
        for (let n = varUint(); n > 0; n--) object[string()] = any();
        return object;
      }
      case 117:
        return Array.from({ length: varUint() }, any);
      case 120:
        return true;
      case 121:
        return false;
      case 126:
        return null;
      default:
        throw new Error(`lib0 value tag ${tag} not read here`);
    }
  };
  return { take, string, any };
}

/** y-webrtc's encryption (crypto.js): PBKDF2 of the secret salted with the room name, AES-GCM, lib0 framing. */
async function decrypt(data: string, secret: string, room: string): Promise<unknown> {
  const frame = lib0Reader(fromBase64(data));
  expect(frame.string()).toBe('AES-GCM');
  const iv = frame.take().slice();
  const cipher = frame.take().slice();
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, [
    'deriveKey',
  ]);
  const key = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: new TextEncoder().encode(room), iterations: 100_000, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['decrypt'],
  );
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher);
  return lib0Reader(new Uint8Array(plain)).any();
}

describe('the stock y-webrtc client against /signal', () => {
  let coordinator: Coordinator;
  let dataDir: string;
  let room: PeerRoom;
  let url: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bricolage-stock-'));
    coordinator = await startCoordinator({ dataDir, log: () => undefined });
    const { project } = await coordinator.createProject('stock');
    const volunteer = await SimVolunteer.create(coordinator.url);
    room = (await volunteer.get<PeerRoom>(`${API.peerRoom}?project=${project}`)).body;
    url = coordinator.url.replace(/^http/, 'ws') + room.signaling;
  });

  afterAll(async () => {
    await coordinator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("y-webrtc's signaling client subscribes, publishes to the other subscriber, and is answered its ping", async () => {
    const a = new SignalingConn(url);
    const b = new SignalingConn(url);
    try {
      await Promise.all([connected(a), connected(b)]);
      for (const conn of [a, b]) conn.send({ type: 'subscribe', topics: [room.room] });
      const pong = nextMessage(b, (m) => m.type === 'pong');
      b.send({ type: 'ping' });
      await pong;
      const arrived = nextMessage(b, (m) => m.type === 'publish');
      a.send({ type: 'publish', topic: room.room, data: { type: 'announce', from: 'a' } });
      // With its sender's tag, which the stock client takes as it is.
      expect(await arrived).toEqual({
        type: 'publish',
        topic: room.room,
        data: { type: 'announce', from: 'a' },
        sender: expect.any(String),
      });
      expect(coordinator.signaling.stats().closed).toEqual({
        bad_message: 0,
        forbidden_topic: 0,
        too_large: 0,
        too_many: 0,
        timeout: 0,
        banned: 0,
      });
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('a stock WebrtcProvider joins the room through it, announcing itself encrypted with the room secret', async () => {
    const observer = new SignalingConn(url);
    await connected(observer);
    observer.send({ type: 'subscribe', topics: [room.room] });
    const pong = nextMessage(observer, (m) => m.type === 'pong');
    observer.send({ type: 'ping' });
    await pong;
    const announced = nextMessage(observer, (m) => m.type === 'publish' && m.topic === room.room);
    const provider = stockProvider(room.room, room.secret, url);
    try {
      const message = await announced;
      expect(typeof message.data).toBe('string');
      const peerId = (provider as unknown as { room: { peerId: string } }).room.peerId;
      expect(await decrypt(message.data as string, room.secret, room.room)).toEqual({ type: 'announce', from: peerId });
      // Nothing it sent broke a rule.
      expect(Object.values(coordinator.signaling.stats().closed).every((n) => n === 0)).toBe(true);
    } finally {
      provider.disconnect();
      provider.destroy();
      observer.destroy();
    }
  });
});
