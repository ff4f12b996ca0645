// The signaling WebSocket of a real coordinator over loopback: what y-webrtc's protocol asks of it and who may join
// a room (hostile clients: signal-hostile.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { type PeerRoom, roomName, SignalJoined, SignalRelay } from '@bricolage/protocol/peer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startCoordinator } from '../server';
import { SimVolunteer } from '../testing/sim-volunteer';
import { type Client, enter, LIMITS, peerRoom, pongs, type Started, start } from './signal-testing';

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
    // And each its own tag (c's is a's: one key), by which its peer id is known.
    expect([joined(a), joined(b), joined(c)]).toEqual([
      [{ type: 'joined', topic, others: 0, senders: [], self: tagA }],
      [{ type: 'joined', topic, others: 1, senders: [tagA], self: tagB }],
      [{ type: 'joined', topic, others: 2, senders: [tagA, tagB], self: tagA }],
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
    expect(joined(d)).toEqual([{ type: 'joined', topic, others: 2, senders: [tagA, tagA], self: tagA }]);
    expect(await tagOf(c, d, 'from c')).toBe(tagA);
    // The message parses with the protocol's schema, which packages/peer reads it with.
    expect(SignalJoined.parse(joined(d)[0])).toEqual({
      type: 'joined',
      topic,
      others: 2,
      senders: [tagA, tagA],
      self: tagA,
    });
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
