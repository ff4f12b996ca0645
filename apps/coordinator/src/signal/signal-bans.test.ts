// A ban and /signal: the handshake looks the ban up (a ticket lives 24 h by default, and one minted before the ban
// must open nothing after it), and a ban closes the key's open connections on every coordinator of the grid, as
// ARCHITECTURE says a ban "takes effect at once".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import { type PeerRoom, roomName, SIGNAL_CLOSE } from '@bricolage/protocol/peer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { type Coordinator, startCoordinator } from '../server';
import { BACKENDS } from '../testing/backends';
import { SimVolunteer } from '../testing/sim-volunteer';
import { type Client, connect, enter, peerRoom, type Started, start, wsUrl } from './signal-testing';

const ban = (coordinator: Coordinator, volunteer: string) =>
  fetch(coordinator.url + API.ban(volunteer), {
    method: 'POST',
    headers: { authorization: `Bearer ${coordinator.operator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'attacks peers' }),
  });

/** Whether `client` hears `data` within half a second. */
const hears = (client: Client, data: string) =>
  Promise.race([
    client.next((m) => m.data === data).then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500)),
  ]);

describe('a banned key and /signal', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await s.close();
  });

  it("a ban closes the key's open signaling at once and refuses its tickets from before", async () => {
    // Review finding 6: the handshake checked only the ticket, and an open socket stayed in its rooms.
    const project = s.projects[0] as string;
    const mallory = await SimVolunteer.create(s.coordinator.url);
    const room = await peerRoom(s, project, mallory);
    const open = await enter(s, project, mallory);
    const honest = await enter(s, project);

    expect((await ban(s.coordinator, mallory.key)).status).toBe(200);
    expect((await mallory.get(`${API.peerRoom}?project=${project}`)).status).toBe(403);

    // Sent before the socket has seen its close: not relayed.
    open.send({ type: 'publish', topic: roomName(project), data: 'still in after the ban' });
    expect(await hears(honest, 'still in after the ban')).toBe(false);
    expect(await open.closed).toMatchObject({ code: SIGNAL_CLOSE.banned });
    // The ticket from before the ban opens nothing, refused as the HTTP edge refuses the key.
    const again = await connect(wsUrl(s, room.signaling));
    if (again.ok) again.client.ws.close();
    expect(again).toMatchObject({
      ok: false,
      status: 403,
      body: { error: { code: 'forbidden', message: expect.stringContaining('banned') } },
    });
    expect(s.coordinator.signaling.stats().refused.banned).toBe(1);
    expect(s.coordinator.signaling.stats().closed.banned).toBe(1);

    // Everyone else is served on.
    const other = await enter(s, project);
    other.send({ type: 'publish', topic: roomName(project), data: 'after the ban' });
    expect(await hears(honest, 'after the ban')).toBe(true);
    honest.ws.close();
    other.ws.close();
  });
});

const postgres = BACKENDS.find((b) => b.name === 'postgres');

describe.skipIf(!postgres || postgres.unavailable !== null)('a ban on a grid of several coordinators', () => {
  it("closes the key's signaling on the other coordinators too (the store's broadcast)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bricolage-signal-bans-'));
    const db = await (postgres as NonNullable<typeof postgres>).open(dir);
    const running: Coordinator[] = [];
    try {
      const clock = new ManualClock(Date.now());
      for (let i = 0; i < 2; i++)
        running.push(
          await startCoordinator({ dataDir: dir, databaseUrl: db.databaseUrl, clock, log: () => undefined }),
        );
      const [a, b] = running as [Coordinator, Coordinator];
      const { project } = await a.createProject('bans');
      const mallory = await SimVolunteer.create(a.url);
      const room = (await mallory.get<PeerRoom>(`${API.peerRoom}?project=${project}`)).body;
      const atB = b.url.replace(/^http/, 'ws') + room.signaling;
      const handshake = await connect(atB);
      if (!handshake.ok) throw new Error(`refused: ${handshake.status}`);

      expect((await ban(a, mallory.key)).status).toBe(200);
      expect(await handshake.client.closed).toMatchObject({ code: SIGNAL_CLOSE.banned });
      expect(await connect(atB)).toMatchObject({ ok: false, status: 403 });
    } finally {
      for (const c of running) await c.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
