// The signaling WebSocket of a real coordinator over loopback and hostile input: oversize messages, floods, unknown
// types, unauthenticated joins, topic spraying, dead clients, too many connections. Each is refused with its code,
// counted and logged, while the coordinator keeps serving everyone else.
import { API } from '@bricolage/protocol';
import { roomName, SIGNAL_CLOSE } from '@bricolage/protocol/peer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  type Client,
  connect,
  LIMITS,
  enter,
  peerRoom,
  pongs,
  type Started,
  start,
  stillServing,
  wsUrl,
} from './signal-testing';

describe('the signaling server and hostile clients', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await s.close();
  });

  it('refuses a handshake without a ticket, with a bad one, with a bearer token, or with an expired one', async () => {
    const refusedBefore = s.coordinator.signaling.stats().refused.unauthorized;
    const room = await peerRoom(s, s.projects[0] as string);
    const cases: [string, number, string][] = [
      [API.signal, 401, 'unauthorized'],
      [`${API.signal}?ticket=nonsense`, 401, 'unauthorized'],
      [`${API.signal}?ticket=${encodeURIComponent(s.volunteer.bearer)}`, 401, 'unauthorized'],
      ['/elsewhere', 404, 'not_found'],
    ];
    for (const [path, status, code] of cases) {
      const handshake = await connect(wsUrl(s, path));
      expect(handshake).toMatchObject({ ok: false, status, body: { error: { code } } });
    }
    s.clock.advance(LIMITS.ticketSeconds * 1000 + 1);
    const expired = await connect(wsUrl(s, room.signaling));
    expect(expired).toMatchObject({ ok: false, status: 401, body: { error: { code: 'token_expired' } } });
    expect(s.coordinator.signaling.stats().refused.unauthorized).toBe(refusedBefore + 4);
    expect(s.logs.some((l) => /signal: refused a connection from .*ticket/.test(l))).toBe(true);
    await stillServing(s);
  });

  it('closes a connection that sends an oversize message with 4413; a far larger one ws cuts off with 1009', async () => {
    const a = await enter(s, s.projects[0] as string);
    a.send({ type: 'publish', topic: roomName(s.projects[0] as string), data: 'x'.repeat(LIMITS.maxMessageBytes) });
    expect((await a.closed).code).toBe(SIGNAL_CLOSE.tooLarge);
    const b = await enter(s, s.projects[0] as string);
    b.send('y'.repeat(4 * LIMITS.maxMessageBytes));
    expect((await b.closed).code).toBe(1009);
    expect(s.coordinator.signaling.stats().closed.too_large).toBeGreaterThanOrEqual(2);
    expect(s.logs.some((l) => l.includes('with 4413: a 10'))).toBe(true);
    await stillServing(s);
  });

  it('closes a connection that floods with 4429 once its burst is spent', async () => {
    const before = s.coordinator.signaling.stats().closed.too_many;
    // The manual clock does not move, so nothing refills: the burst is all a connection has.
    const a = await enter(s, s.projects[0] as string);
    const left = LIMITS.messageBurst - 2; // two went to joining
    for (let i = 0; i < left; i++) a.send({ type: 'ping' });
    await expect.poll(() => a.received.filter((m) => m.type === 'pong').length).toBe(left + 1);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    a.send({ type: 'ping' });
    expect((await a.closed).code).toBe(SIGNAL_CLOSE.tooMany);
    // A flood all at once is cut off just the same.
    const b = await enter(s, s.projects[0] as string);
    for (let i = 0; i < 1000; i++) b.send({ type: 'publish', topic: roomName(s.projects[0] as string), data: i });
    expect((await b.closed).code).toBe(SIGNAL_CLOSE.tooMany);
    expect(s.coordinator.signaling.stats().closed.too_many).toBe(before + 2);
    expect(s.logs.some((l) => l.includes('messages per second'))).toBe(true);
    await stillServing(s);
  });

  it('closes a connection that sends what is not a signaling message with 4400', async () => {
    for (const bad of [
      'not json',
      '[1,2,3]',
      '"a string"',
      'null',
      JSON.stringify({ type: 'announce', from: 'x' }),
      JSON.stringify({ type: 'subscribe', topics: 'not-a-list' }),
      JSON.stringify({ type: 'publish' }),
    ]) {
      const a = await enter(s, s.projects[0] as string);
      a.send(bad);
      expect((await a.closed).code).toBe(SIGNAL_CLOSE.badMessage);
    }
    const binary = await enter(s, s.projects[0] as string);
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(SIGNAL_CLOSE.badMessage);
    expect(s.coordinator.signaling.stats().closed.bad_message).toBeGreaterThanOrEqual(8);
    await stillServing(s);
  });

  it('closes a connection that sprays topics: not a room (4403), an unknown project (4403), too many rooms (4429)', async () => {
    const [one, two, three] = s.projects as [string, string, string];
    const tries: [unknown, number][] = [
      [{ type: 'subscribe', topics: ['some-public-room'] }, SIGNAL_CLOSE.forbiddenTopic],
      [{ type: 'subscribe', topics: [roomName('prj_0000000000000000')] }, SIGNAL_CLOSE.forbiddenTopic],
      [{ type: 'publish', topic: 'bricolage/v1/../../etc', data: 1 }, SIGNAL_CLOSE.forbiddenTopic],
      [{ type: 'subscribe', topics: [roomName(two), roomName(three)] }, SIGNAL_CLOSE.tooMany],
    ];
    for (const [message, code] of tries) {
      const a = await enter(s, one);
      a.send(message);
      expect((await a.closed).code).toBe(code);
    }
    // Two rooms on one connection are within the limit.
    const both = await enter(s, one);
    both.send({ type: 'subscribe', topics: [roomName(two)] });
    both.send({ type: 'ping' });
    await both.next((m) => m.type === 'pong' && pongs(both) >= 2);
    expect(both.ws.readyState).toBe(WebSocket.OPEN);
    both.ws.close();
    expect(s.logs.some((l) => l.includes('is not a project'))).toBe(true);
    await stillServing(s);
  });

  it('logs nothing when a client vanishes (a tab closed, a connection reset)', async () => {
    const before = s.logs.length;
    const client = await enter(s, s.projects[0] as string);
    const socket = (client.ws as unknown as { _socket: { resetAndDestroy(): void } })._socket;
    const connected = s.coordinator.signaling.stats().connections;
    socket.resetAndDestroy();
    await expect.poll(() => s.coordinator.signaling.stats().connections).toBe(connected - 1);
    expect(s.logs.slice(before)).toEqual([]);
    await stillServing(s);
  });

  it('refuses more connections from one address than the limit, with 429, and counts them', async () => {
    const open: Client[] = [];
    for (let i = 0; i < LIMITS.maxConnectionsPerAddress; i++) open.push(await enter(s, s.projects[0] as string));
    const room = await peerRoom(s, s.projects[0] as string);
    const refused = await connect(wsUrl(s, room.signaling));
    expect(refused).toMatchObject({ ok: false, status: 429, body: { error: { code: 'rate_limited' } } });
    expect(s.coordinator.signaling.stats().refused.too_many_connections).toBeGreaterThanOrEqual(1);
    for (const c of open) c.ws.close();
    await Promise.all(open.map((c) => c.closed));
    await expect.poll(() => s.coordinator.signaling.stats().connections).toBe(0);
    await stillServing(s);
  });
});

describe('the signaling server behind a trusted proxy', () => {
  it('counts connections per client its X-Forwarded-For names, as the HTTP edge does, not per proxy', async () => {
    const s = await start({ maxConnectionsPerAddress: 2 }, { trustProxy: 'loopback' });
    const open: Client[] = [];
    try {
      const room = await peerRoom(s, s.projects[0] as string);
      const from = (client: string) => connect(wsUrl(s, room.signaling), { headers: { 'x-forwarded-for': client } });
      for (const client of ['198.51.100.7', '198.51.100.7']) {
        const accepted = await from(client);
        if (!accepted.ok) throw new Error(`refused: ${accepted.status}`);
        open.push(accepted.client);
      }
      expect(await from('198.51.100.7')).toMatchObject({ ok: false, status: 429 });
      // Another household behind the same proxy still gets in.
      const other = await from('203.0.113.9');
      if (!other.ok) throw new Error(`another client was refused: ${other.status}`);
      open.push(other.client);
      // An IPv6 client's /64 is one address.
      for (const client of ['2001:db8:0:1::1', '2001:db8:0:1::2']) {
        const accepted = await from(client);
        if (!accepted.ok) throw new Error(`refused: ${accepted.status}`);
        open.push(accepted.client);
      }
      expect(await from('2001:db8:0:1::3')).toMatchObject({ ok: false, status: 429 });
    } finally {
      for (const c of open) c.ws.close();
      await s.close();
    }
  });
});
describe('the signaling server and silent clients', () => {
  it('closes a connection that does not answer its pings with 4408, and keeps an answering one', async () => {
    // The answering client is in this process: its pong is read only when this process runs again, and a ping
    // unanswered at the next tick closes it. At 50 ms between pings, any stall of 50 ms (a collection, a loaded
    // 2-core machine) closed it too; 500 ms leaves a slow machine ten times that, and the silent one still goes
    // within a second.
    const s = await start({ pingMs: 500 });
    try {
      const room = await peerRoom(s, s.projects[0] as string);
      const silent = await connect(wsUrl(s, room.signaling), { autoPong: false });
      const alive = await connect(wsUrl(s, room.signaling));
      if (!silent.ok || !alive.ok) throw new Error('handshake refused');
      // Such a stall, on purpose: the process busy for 150 ms just after the answering client was pinged.
      let stalls = 0;
      alive.client.ws.on('ping', () => {
        if (stalls++ > 0) return;
        const end = performance.now() + 150;
        while (performance.now() < end);
      });
      expect((await silent.client.closed).code).toBe(SIGNAL_CLOSE.timeout);
      expect(alive.client.ws.readyState).toBe(WebSocket.OPEN);
      expect(s.coordinator.signaling.stats().closed.timeout).toBe(1);
      alive.client.ws.close();
    } finally {
      await s.close();
    }
  });
});

describe('the signaling server and data it cannot pass on', () => {
  it('closes with 4400, logging one line, a publish nested too deep to write out again, and relays the next', async () => {
    const s = await start({ maxMessageBytes: 64 * 1024 });
    try {
      const project = s.projects[0] as string;
      const a = await enter(s, project);
      const b = await enter(s, project);
      // 30,000 arrays in one another: 60 kB, parsed without trouble, but too deep for JSON.stringify's stack.
      const depth = 30_000;
      a.send(`{"type":"publish","topic":"${roomName(project)}","data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect((await a.closed).code).toBe(SIGNAL_CLOSE.badMessage);
      expect(s.logs.filter((l) => l.includes('failed to handle'))).toEqual([]);
      expect(s.logs.some((l) => l.includes('nested too deep'))).toBe(true);
      b.ws.close();
      await stillServing(s);
    } finally {
      await s.close();
    }
  });
});
