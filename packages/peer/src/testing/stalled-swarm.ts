// Test-only: a page in a room through joinSwarm's real y-webrtc, in Node, around each test of a describe block: its
// signaling through a SignalBus that speaks /signal, its RTCPeerConnections stalled (signal-bus.ts). For tests of
// what the page does with the signals others send it.
import { peerIdSender, roomName } from '@bricolage/protocol/peer';
import { afterEach, beforeEach, vi } from 'vitest';
import { joinSwarm, type Swarm } from '../swarm';
import { roomKey, SignalBus, stalledWebRtc, tagOf, unseal } from './signal-bus';

const PROJECT = 'prj_00000000000000a1';
/** The room the page joins. */
export const ROOM = roomName(PROJECT);
const SECRET = 'the room secret';

/** The globals lib0 and simple-peer take their WebSocket and WebRTC from: replaced for each test, then put back. */
const GLOBALS = ['WebSocket', 'RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate'] as const;

export interface StalledSwarm {
  /** The signaling bus the page is on: publish to it as another key, read what the page published. */
  readonly bus: SignalBus;
  /** The page's connections (`live`: those not closed). */
  readonly webrtc: ReturnType<typeof stalledWebRtc>;
  readonly swarm: Swarm;
  /** The room's key, to seal and unseal signaling messages as y-webrtc does. */
  readonly key: CryptoKey;
  /** The page's peer id, from the announce it publishes under its tag as it joins. */
  peerId(): Promise<string>;
}

/**
 * Registers the hooks that have a page join ROOM before each test, signaling with `ticket` (the key the bus tags
 * its publishes with) through a bus made with `bus`, and leave it after, the globals put back.
 */
export function useStalledSwarm(ticket: string, bus: { tellsSelf?: boolean } = {}): StalledSwarm {
  let joined: { bus: SignalBus; webrtc: ReturnType<typeof stalledWebRtc>; swarm: Swarm; key: CryptoKey } | null = null;
  let saved: (readonly [string, unknown])[] = [];
  const globals = globalThis as Record<string, unknown>;
  const current = () => {
    if (!joined) throw new Error('no page here: useStalledSwarm joins one for each test only');
    return joined;
  };

  beforeEach(async () => {
    saved = GLOBALS.map((name) => [name, globals[name]] as const);
    const signals = new SignalBus(bus);
    const webrtc = stalledWebRtc();
    Object.assign(globals, {
      WebSocket: signals.WebSocket,
      RTCPeerConnection: webrtc.RTCPeerConnection,
      RTCSessionDescription: webrtc.RTCSessionDescription,
      RTCIceCandidate: webrtc.RTCIceCandidate,
    });
    const key = await roomKey(SECRET, ROOM);
    const swarm = joinSwarm({
      room: {
        project: PROJECT as never,
        room: ROOM,
        secret: SECRET,
        signaling: `/signal?ticket=${ticket}`,
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
    joined = { bus: signals, webrtc, swarm, key };
  });

  afterEach(() => {
    joined?.swarm.leave();
    joined = null;
    for (const [name, value] of saved) globals[name] = value;
  });

  return {
    get bus() {
      return current().bus;
    },
    get webrtc() {
      return current().webrtc;
    },
    get swarm() {
      return current().swarm;
    },
    get key() {
      return current().key;
    },
    peerId: () => {
      const { bus, key } = current();
      return vi.waitFor(
        async () => {
          for (const p of bus.published.filter((p) => p.key === ticket && p.topic === ROOM)) {
            const { type, from } = (await unseal(p.data as string, key)) as { type: string; from: string };
            if (type === 'announce' && peerIdSender(from) === tagOf(ticket)) return from;
          }
          throw new Error('no announce under its tag yet');
        },
        { timeout: 5000 },
      );
    },
  };
}
