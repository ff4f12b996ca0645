// A page in several rooms, as apps/web's peers.ts joins them (up to four, each with its own ticket, so its own
// signaling URL and socket), in joinSwarm's real y-webrtc signaled through a bus that speaks /signal: each room's
// signals reach it only through its own socket, past its own gate, and the page is one subscriber of each room.
// (y-webrtc alone has every socket carry every room: Mallory, speaking as Alice's peer id in room A, was refused
// on A's socket and taken on B's.)
import { peerIdSender, roomName } from '@bricolage/protocol/peer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { joinSwarm, type Swarm } from './swarm';
import { roomKey, SignalBus, seal, stalledWebRtc, tagOf, unseal } from './testing/signal-bus';

const A = 'prj_00000000000000a1';
const B = 'prj_00000000000000b2';
const SECRET = 'the room secret';
const GLOBALS = ['WebSocket', 'RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate'] as const;
const OFFER = (who: string) => ({ type: 'offer', sdp: `v=0\r\no=${who} 1 1 IN IP4 0.0.0.0\r\n` });

const swarms: Swarm[] = [];
let saved: (readonly [string, unknown])[] = [];
const globals = globalThis as Record<string, unknown>;
afterEach(() => {
  for (const s of swarms.splice(0)) s.leave();
  for (const [name, value] of saved) globals[name] = value;
});

/** The bus and stalled WebRTC in the globals y-webrtc and simple-peer read. */
function network() {
  saved = GLOBALS.map((name) => [name, globals[name]] as const);
  const bus = new SignalBus();
  const webrtc = stalledWebRtc();
  Object.assign(globals, {
    WebSocket: bus.WebSocket,
    RTCPeerConnection: webrtc.RTCPeerConnection,
    RTCSessionDescription: webrtc.RTCSessionDescription,
    RTCIceCandidate: webrtc.RTCIceCandidate,
  });
  return { bus, webrtc };
}

function join(project: string, n: number): Swarm {
  const swarm = joinSwarm({
    room: {
      project: project as never,
      room: roomName(project),
      secret: SECRET,
      // One key ('victim', one tag), a ticket per room as /peer-room mints them: one URL, one socket each.
      signaling: `/signal?ticket=victim&n=${n}`,
      ticketExpiresAt: Date.now() + 3_600_000,
      iceServers: [],
    },
    coordinator: 'http://bus.invalid',
    coordinatorKey: 'unused',
    manifest: async () => null,
    consistency: async () => {
      throw new Error('not asked');
    },
    renewRoom: async () => null,
    settleMs: 0,
  });
  swarms.push(swarm);
  return swarm;
}

/** The page's peer id in the room, from its announce under its tag. */
async function peerIdIn(bus: SignalBus, key: CryptoKey, room: string): Promise<string> {
  return vi.waitFor(
    async () => {
      for (const p of bus.published.filter((p) => p.key === 'victim' && p.topic === room)) {
        const { type, from } = (await unseal(p.data as string, key)) as { type: string; from: string };
        if (type === 'announce' && peerIdSender(from) === tagOf('victim')) return from;
      }
      throw new Error('no announce under its tag yet');
    },
    { timeout: 5000 },
  );
}

/** How many subscribers the bus counts in the room besides a watcher that joins it now (its `joined.others`). */
async function othersIn(bus: SignalBus, room: string): Promise<number> {
  const watcher = new bus.WebSocket('ws://bus.invalid/signal?ticket=watcher');
  const joined = new Promise<number>((resolve) => {
    watcher.onmessage = ({ data }) => resolve((JSON.parse(data) as { others: number }).others);
  });
  watcher.send(JSON.stringify({ type: 'subscribe', topics: [room] }));
  const others = await joined;
  watcher.close();
  return others;
}

describe('a page in several rooms', () => {
  it.each([1, 2, 4])(
    "refuses another key speaking as Alice's peer id in a room, whichever socket it comes on (%i rooms)",
    async (rooms) => {
      const { bus, webrtc } = network();
      const keyA = await roomKey(SECRET, roomName(A));
      const a = join(A, 1);
      for (let n = 2; n <= rooms; n++) join(n === 2 ? B : `prj_00000000000000c${n}`, n);
      const to = await peerIdIn(bus, keyA, roomName(A));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const alice = `${tagOf('alice')}.4b1d3c2e-0000-4000-8000-000000000001`;
      bus.publish(
        'mallory',
        roomName(A),
        await seal({ type: 'signal', from: alice, to, token: Date.now(), signal: OFFER('mallory-sdp') }, keyA),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(a.view().refusedSignals.notTheirs).toBe(1);
      expect([...webrtc.live].map((pc) => pc.remoteSdp ?? '')).toEqual([]);
    },
  );

  it('is one subscriber of each room', async () => {
    const { bus } = network();
    const keyA = await roomKey(SECRET, roomName(A));
    const keyB = await roomKey(SECRET, roomName(B));
    join(A, 1);
    join(B, 2);
    await peerIdIn(bus, keyA, roomName(A));
    await peerIdIn(bus, keyB, roomName(B));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await othersIn(bus, roomName(A))).toBe(1);
    expect(await othersIn(bus, roomName(B))).toBe(1);
  });
});
