// The signaling WebSocket of a real coordinator over loopback: what y-webrtc's protocol asks of it, who may join,
// and hostile input (oversize messages, floods, unknown types, unauthenticated joins, topic spraying, dead
// clients): each refused with its code, counted, logged, while the coordinator keeps serving everyone else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { type PeerRoom, roomName, SIGNAL_CLOSE, SignalJoined, SignalRelay } from '@bricolage/protocol/peer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ManualClock } from '../clock';
import { type CoordinatorConfig, DEFAULT_CONFIG } from '../config';
import { type Coordinator, startCoordinator } from '../server';
import { SimVolunteer } from '../testing/sim-volunteer';

const LIMITS: CoordinatorConfig['signal'] = {
  ...DEFAULT_CONFIG.signal,
  maxMessageBytes: 1024,
  messagesPerSecond: 10,
  messageBurst: 20,
  maxTopicsPerConnection: 2,
  maxConnectionsPerAddress: 8,
  ticketSeconds: 600,
};

interface Started {
  readonly coordinator: Coordinator;
  readonly clock: ManualClock;
  readonly logs: string[];
  readonly projects: string[];
  readonly volunteer: SimVolunteer;
  close(): Promise<void>;
}

async function start(
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

async function peerRoom(s: Started, project: string, volunteer = s.volunteer): Promise<PeerRoom> {
  const reply = await volunteer.get<PeerRoom>(`${API.peerRoom}?project=${project}`);
  if (reply.status !== 200) throw new Error(`peer-room: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** A raw client: what it received, and how it was closed. */
interface Client {
  readonly ws: WebSocket;
  readonly received: Record<string, unknown>[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Resolves with the next message that matches. */
  next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

type Handshake = { ok: true; client: Client } | { ok: false; status: number; body: unknown };

function wsUrl(s: Started, path: string): string {
  return s.coordinator.url.replace(/^http/, 'ws') + path;
}

function connect(
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

async function enter(s: Started, project: string, volunteer = s.volunteer): Promise<Client> {
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
const pongs = (c: Client) => c.received.filter((m) => m.type === 'pong').length;

/** The coordinator still answers HTTP, and two fresh clients still reach each other through /signal. */
async function stillServing(s: Started): Promise<void> {
  expect((await fetch(s.coordinator.url + API.health)).status).toBe(200);
  const a = await enter(s, s.projects[0] as string);
  const b = await enter(s, s.projects[0] as string);
  a.send({ type: 'publish', topic: roomName(s.projects[0] as string), data: 'still here' });
  expect(await b.next((m) => m.data === 'still here')).toBeTruthy();
  a.ws.close();
  b.ws.close();
}

describe('the signaling server', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await s.close();
  });

  it('hands a signed-in volunteer the room of a project: name, secret, ticket, no ICE servers', async () => {
    const project = s.projects[0] as string;
    const room = await peerRoom(s, project);
    expect(room).toMatchObject({ project, room: roomName(project), iceServers: [] });
    expect(room.signaling).toMatch(/^\/signal\?ticket=/);
    expect(room.ticketExpiresAt).toBe(s.clock.now() + LIMITS.ticketSeconds * 1000);
    // The same secret for every volunteer of a project, another for another project.
    const other = await SimVolunteer.create(s.coordinator.url);
    const theirs = (await other.get<PeerRoom>(`${API.peerRoom}?project=${project}`)).body;
    expect(theirs.secret).toBe(room.secret);
    expect((await peerRoom(s, s.projects[1] as string)).secret).not.toBe(room.secret);
  });

  it('refuses the room to anyone not signed in, and names an unknown project', async () => {
    const project = s.projects[0] as string;
    const anonymous = await fetch(`${s.coordinator.url}${API.peerRoom}?project=${project}`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const unknown = await s.volunteer.get<{ error: { code: string } }>(`${API.peerRoom}?project=prj_0000000000000000`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    const malformed = await s.volunteer.get<{ error: { code: string } }>(`${API.peerRoom}?project=nope`);
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'bad_request']);
  });

  it('relays a publish to every other subscriber of its room, never back to the sender, and answers ping', async () => {
    const project = s.projects[0] as string;
    const [a, b, c] = [await enter(s, project), await enter(s, project), await enter(s, project)];
    const elsewhere = await enter(s, s.projects[1] as string);
    a.send({ type: 'publish', topic: roomName(project), data: { from: 'a', n: 1 }, extra: 'dropped' });
    const atB = await b.next((m) => m.type === 'publish');
    const atC = await c.next((m) => m.type === 'publish');
    expect(atB).toEqual({
      type: 'publish',
      topic: roomName(project),
      data: { from: 'a', n: 1 },
      sender: expect.any(String),
    });
    expect(atC).toEqual(atB);
    a.send({ type: 'ping' });
    await a.next((m) => m.type === 'pong');
    expect(a.received.filter((m) => m.type === 'publish')).toEqual([]);
    expect(elsewhere.received.filter((m) => m.type === 'publish')).toEqual([]);
    // Unsubscribed: no longer relayed to, and what it still publishes there is not relayed either.
    b.send({ type: 'unsubscribe', topics: [roomName(project)] });
    b.send({ type: 'publish', topic: roomName(project), data: 'late' });
    b.send({ type: 'ping' });
    await b.next((m) => m.type === 'pong' && pongs(b) >= 2);
    a.send({ type: 'publish', topic: roomName(project), data: 'second' });
    await c.next((m) => m.data === 'second');
    expect(b.received.filter((m) => m.data === 'second' || m.data === 'late')).toEqual([]);
    expect(c.received.filter((m) => m.data === 'late')).toEqual([]);
    expect(s.coordinator.signaling.stats().dropped.unsubscribed).toBeGreaterThanOrEqual(1);
    for (const client of [a, b, c, elsewhere]) client.ws.close();
  });

  it("names each relay's sender by a tag of its key: one for all of a key's connections, another for another key, never the key, never the client's own", async () => {
    const project = s.projects[0] as string;
    const topic = roomName(project);
    const other = await SimVolunteer.create(s.coordinator.url);
    const [mine, mineAgain, theirs, listener] = [
      await enter(s, project),
      await enter(s, project),
      await enter(s, project, other),
      await enter(s, project, other),
    ];
    const heard = async (from: Client, data: string) => {
      from.send({ type: 'publish', topic, data, sender: 'chosen-by-the-client' });
      return (await listener.next((m) => m.data === data)).sender;
    };
    const [first, second, third] = [await heard(mine, 'm1'), await heard(mineAgain, 'm2'), await heard(theirs, 't1')];
    expect(SignalRelay.parse(await listener.next((m) => m.data === 'm1')).sender).toBe(first);
    expect(first).toBe(second);
    expect(third).not.toBe(first);
    expect([first, third]).not.toContain('chosen-by-the-client');
    expect(JSON.stringify(listener.received)).not.toContain(s.volunteer.key);
    expect(JSON.stringify(listener.received)).not.toContain(other.key);
    for (const client of [mine, mineAgain, theirs, listener]) client.ws.close();
  });

  it('answers each subscription it takes with how many others the room has, and a full room with nothing', async () => {
    const project = s.projects[0] as string;
    const topic = roomName(project);
    // a and c of one key, b of another.
    const other = await SimVolunteer.create(s.coordinator.url);
    const [a, b, c] = [await enter(s, project), await enter(s, project, other), await enter(s, project)];
    const joined = (client: Client) => client.received.filter((m) => m.type === 'joined');
    // Each names the others' sender tags, the earliest first: the tags their relayed publishes carry.
    const tagOf = async (from: Client, to: Client, data: string) => {
      from.send({ type: 'publish', topic, data });
      return SignalRelay.parse(await to.next((m) => m.data === data)).sender;
    };
    const [tagA, tagB] = [await tagOf(a, c, 'from a'), await tagOf(b, c, 'from b')];
    expect(tagA).not.toBe(tagB);
    expect([joined(a), joined(b), joined(c)]).toEqual([
      [{ type: 'joined', topic, others: 0, senders: [] }],
      [{ type: 'joined', topic, others: 1, senders: [tagA] }],
      [{ type: 'joined', topic, others: 2, senders: [tagA, tagB] }],
    ]);
    // A subscription already held is not taken again, nor answered; one that goes is not counted.
    a.send({ type: 'subscribe', topics: [topic] });
    b.send({ type: 'unsubscribe', topics: [topic] });
    for (const client of [a, b]) client.send({ type: 'ping' });
    await a.next((m) => m.type === 'pong' && pongs(a) >= 2);
    await b.next((m) => m.type === 'pong' && pongs(b) >= 2);
    expect(joined(a)).toHaveLength(1);
    const d = await enter(s, project);
    // d joins with a and c there (b left), both of one key: its tag twice.
    expect(joined(d)).toEqual([{ type: 'joined', topic, others: 2, senders: [tagA, tagA] }]);
    expect(await tagOf(c, d, 'from c')).toBe(tagA);
    // The message parses with the protocol's schema, which packages/peer reads it with.
    expect(SignalJoined.parse(joined(d)[0])).toEqual({ type: 'joined', topic, others: 2, senders: [tagA, tagA] });
    const full = await start({ maxPeersPerRoom: 1 });
    try {
      const fullProject = full.projects[0] as string;
      const [first, late] = [await enter(full, fullProject), await enter(full, fullProject)];
      expect(joined(first)).toHaveLength(1);
      expect(joined(late)).toEqual([]);
      for (const client of [first, late]) client.ws.close();
    } finally {
      await full.close();
    }
    for (const client of [a, b, c, d]) client.ws.close();
  });

  it('takes no subscriber past a full room: the newcomer meets nobody there, keeps its connection and its other rooms, and a subscribe after one leaves gets in', async () => {
    const full = await start({ maxPeersPerRoom: 2 });
    try {
      const project = full.projects[0] as string;
      const topic = roomName(project);
      const [a, b, late] = [await enter(full, project), await enter(full, project), await enter(full, project)];
      expect(full.coordinator.signaling.stats().roomFull).toBe(1);
      expect(full.logs.some((l) => l.includes('is full (2)'))).toBe(true);
      a.send({ type: 'publish', topic, data: 'to b only' });
      await b.next((m) => m.data === 'to b only');
      late.send({ type: 'publish', topic, data: 'from outside' });
      late.send({ type: 'ping' });
      await late.next((m) => m.type === 'pong' && pongs(late) >= 2);
      a.send({ type: 'ping' });
      await a.next((m) => m.type === 'pong' && pongs(a) >= 2);
      expect(late.received.filter((m) => m.type === 'publish')).toEqual([]);
      expect([...a.received, ...b.received].filter((m) => m.data === 'from outside')).toEqual([]);
      // Still open, and another room on the same connection is served.
      expect(late.ws.readyState).toBe(WebSocket.OPEN);
      const elsewhere = roomName(full.projects[1] as string);
      late.send({ type: 'subscribe', topics: [elsewhere] });
      late.send({ type: 'ping' });
      await late.next((m) => m.type === 'pong' && pongs(late) >= 3);
      const neighbour = await enter(full, full.projects[1] as string);
      neighbour.send({ type: 'publish', topic: elsewhere, data: 'next door' });
      await late.next((m) => m.data === 'next door');
      neighbour.ws.close();
      // One leaves: the next subscribe gets in (y-webrtc sends one on each new connection).
      b.send({ type: 'unsubscribe', topics: [topic] });
      b.send({ type: 'ping' });
      await b.next((m) => m.type === 'pong' && pongs(b) >= 2);
      late.send({ type: 'subscribe', topics: [topic] });
      late.send({ type: 'ping' });
      await late.next((m) => m.type === 'pong' && pongs(late) >= 4);
      a.send({ type: 'publish', topic, data: 'now to late' });
      await late.next((m) => m.data === 'now to late');
      for (const client of [a, b, late]) client.ws.close();
    } finally {
      await full.close();
    }
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

describe('a coordinator with peers turned off', () => {
  it('says so in its discovery document, so that pages ask for no room', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-nopeers-'));
    const off = await startCoordinator({ dataDir, log: () => undefined, config: { peers: false } });
    try {
      expect(await (await fetch(off.url + API.wellKnown)).json()).toMatchObject({ peers: false });
    } finally {
      await off.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const onDir = mkdtempSync(join(tmpdir(), 'bricolage-peers-'));
    const on = await startCoordinator({ dataDir: onDir, log: () => undefined });
    try {
      expect(await (await fetch(on.url + API.wellKnown)).json()).toMatchObject({ peers: true });
    } finally {
      await on.close();
      rmSync(onDir, { recursive: true, force: true });
    }
  });

  it('hands out no room and answers no WebSocket at /signal', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-nopeers-'));
    const coordinator = await startCoordinator({ dataDir, log: () => undefined, config: { peers: false } });
    try {
      const { project } = await coordinator.createProject('alone');
      const volunteer = await SimVolunteer.create(coordinator.url);
      const room = await volunteer.get<{ error: { code: string } }>(`${API.peerRoom}?project=${project}`);
      expect([room.status, room.body.error.code]).toEqual([403, 'forbidden']);
      const refused = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`${coordinator.url.replace(/^http/, 'ws')}${API.signal}?ticket=x`);
        ws.on('open', () => resolve('opened'));
        ws.on('error', () => resolve('refused'));
      });
      expect(refused).toBe('refused');
      expect((await fetch(coordinator.url + API.health)).status).toBe(200);
    } finally {
      await coordinator.close();
      rmSync(dataDir, { recursive: true, force: true });
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
