// One signed-in volunteer sends a page forty WebRTC offers from made-up peer ids through /signal, each a real
// offer that it never completes: without a limit they take every one of the page's 32 connections until the
// watchdog frees them 15 s later, and a real peer cannot get in meanwhile. The page answers at most 4 per key, so
// a second volunteer's page meets it at once.
import { SimVolunteer } from '@bricolage/coordinator/testing';
import { API } from '@bricolage/protocol';
import { type PeerRoom, peerIdSender, SignalJoined, taggedPeerId } from '@bricolage/protocol/peer';
import { roomKey, seal, unseal } from '@bricolage/peer/testing';
import type { Page } from '@playwright/test';
import {
  expect,
  meshFormed,
  openVolunteer,
  outsideNamespace,
  seedTableJob,
  start,
  swarmConnections,
  test,
  throttle,
} from './support';

test.skip(outsideNamespace() !== null, outsideNamespace() ?? '');

/** What signalingClient leaves on the attacker's window. */
interface Heard {
  heard: { type: string; data?: unknown }[];
  send(text: string): void;
}

/** A raw /signal client in a page of its own: it sends what it is given, and keeps what it hears. */
async function signalingClient(page: Page, url: string): Promise<void> {
  await page.evaluate(
    (url) =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url);
        const heard: unknown[] = [];
        Object.assign(window, { heard, send: (text: string) => ws.send(text) });
        ws.onmessage = (event) => heard.push(JSON.parse(event.data as string));
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error('signaling refused'));
      }),
    url,
  );
}

test("one key's fake offers do not keep a real peer out of a page's connections", async ({ browser, grid }) => {
  const { coordinator } = grid;
  const seeded = await seedTableJob(coordinator.url, coordinator.operator.token, { units: 60 });
  const mallory = await SimVolunteer.create(coordinator.url);
  const room = (await mallory.get<PeerRoom>(`${API.peerRoom}?project=${seeded.project}`)).body;
  const key = await roomKey(room.secret, room.room);
  const attacker = await (await browser.newContext()).newPage();
  await attacker.goto(coordinator.url + API.health);
  await signalingClient(attacker, coordinator.url.replace(/^http/, 'ws') + room.signaling);
  const send = (...messages: unknown[]) =>
    attacker.evaluate(
      (texts) => {
        for (const text of texts) (window as never as Heard).send(text);
      },
      messages.map((m) => JSON.stringify(m)),
    );
  await send({ type: 'subscribe', topics: [room.room] });
  // A real offer, as a browser makes one: the page must take it, answer it, and wait for a peer that never comes.
  const sdp = await attacker.evaluate(async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.createDataChannel('fake');
    return (await pc.createOffer()).sdp as string;
  });

  const victim = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'victim' });
  await throttle(victim.page, 30);
  await start(victim.page);
  // The attacker's own tag, from /signal's answer to its subscription: its fake peer ids must name it, or every
  // page ignores them (a peer id under another tag, or none, is never taken).
  const ownTag = async (): Promise<string | null> => {
    const heard = await attacker.evaluate(() => (window as never as Heard).heard);
    for (const message of heard) {
      const joined = SignalJoined.safeParse(message);
      if (joined.success && joined.data.self !== undefined) return joined.data.self;
    }
    return null;
  };
  await expect.poll(ownTag, { timeout: 10_000 }).not.toBeNull();
  const tag = (await ownTag()) as string;
  // The page's peer id, from the announce it publishes under its tag as it joins the room (the one before it, under
  // y-webrtc's own id, names no tag).
  const announced = async (): Promise<string | null> => {
    const heard = await attacker.evaluate(() => (window as never as Heard).heard);
    for (const message of heard)
      if (message.type === 'publish' && typeof message.data === 'string') {
        const signal = (await unseal(message.data, key)) as { type?: unknown; from?: unknown };
        if (signal.type === 'announce' && typeof signal.from === 'string' && peerIdSender(signal.from) !== null)
          return signal.from;
      }
    return null;
  };
  await expect.poll(announced, { timeout: 30_000 }).not.toBeNull();
  const victimId = (await announced()) as string;

  /** The fake peer ids the page has answered: one connection it opened for each. */
  const answered = async (): Promise<number> => {
    const heard = await attacker.evaluate(() => (window as never as Heard).heard);
    const fakes = new Set<string>();
    for (const message of heard)
      if (message.type === 'publish' && typeof message.data === 'string') {
        const signal = (await unseal(message.data, key)) as { to?: unknown };
        if (typeof signal.to === 'string' && signal.to.startsWith(taggedPeerId(tag, 'fake-'))) fakes.add(signal.to);
      }
    return fakes.size;
  };

  // The real peer's page is open (not started) before the attack, so that it can start at once after it.
  const peer = await openVolunteer(browser, coordinator.url, seeded.project, { name: 'peer' });
  await throttle(peer.page, 30);
  const offers = [];
  for (let i = 0; i < 40; i++) {
    const signal = {
      type: 'signal',
      from: taggedPeerId(tag, `fake-${i}`),
      to: victimId,
      token: Date.now(),
      signal: { type: 'offer', sdp },
    };
    offers.push({ type: 'publish', topic: room.room, data: await seal(signal, key) });
  }
  await send(...offers);
  // The page took the offers: it answers each connection it opens for one.
  await expect.poll(answered, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
  const attackedAt = Date.now();
  await start(peer.page);
  // Before the watchdog frees any fake offer's connection (15 s after it opened): without a share per key, all of
  // the page's places are taken until then, and it neither answers the real peer nor starts a connection to it.
  await expect.poll(() => swarmConnections(victim.page), { timeout: 10_000 }).toBe(1);
  expect(Date.now() - attackedAt).toBeLessThan(15_000);
  await meshFormed([victim.page, peer.page]);
  // Of the 40, the page answered its share for one key; the attacker broke no limit of /signal's.
  expect(await answered()).toBe(4);
  expect(coordinator.signaling.stats().closed).toMatchObject({ too_many: 0, bad_message: 0 });
  await peer.context.close();
  await victim.context.close();
  await attacker.context().close();
});
