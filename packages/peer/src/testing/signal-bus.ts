// Test-only: the page's side of signaling and WebRTC, in Node. A bus that speaks /signal's protocol to lib0's
// WebSocket client (subscribe answered with `joined` and the socket's own tag, publish relayed to the topic's others
// with the sender's tag, ping → pong), a
// y-webrtc message sealed as y-webrtc seals it, and RTCPeerConnections that never connect (what a fake offer
// leaves behind): enough to run joinSwarm's real y-webrtc and count the connections it opens.
import { fromBase64, toBase64 } from '@bricolage/protocol';
import type { SignalJoined, SignalRelay } from '@bricolage/protocol/peer';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

type Listener = ((event: { data: string }) => void) | null;

/** /signal as the coordinator speaks it, between sockets whose ticket (in the URL) names their key. */
export class SignalBus {
  readonly #topics = new Map<string, Set<BusSocket>>();
  /** Every publish a key's sockets sent, for reading the victim's announce. */
  readonly published: { key: string; topic: string; data: unknown }[] = [];
  /** Whether `joined` names the socket's own tag (a coordinator from before tagged peer ids does not). */
  readonly #tellsSelf: boolean;

  constructor(options: { tellsSelf?: boolean } = {}) {
    this.#tellsSelf = options.tellsSelf ?? true;
  }

  /** The WebSocket class lib0 takes from the global scope. */
  get WebSocket(): new (
    url: string,
  ) => BusSocket {
    const bus = this;
    return class extends BusSocket {
      constructor(url: string) {
        super(url, bus);
      }
    };
  }

  receive(from: BusSocket, message: { type?: string; topics?: string[]; topic?: string; data?: unknown }): void {
    if (message.type === 'subscribe')
      for (const topic of message.topics ?? []) {
        const subscribers = this.#topics.get(topic) ?? new Set();
        if (subscribers.has(from)) continue;
        subscribers.add(from);
        this.#topics.set(topic, subscribers);
        const joined: SignalJoined = {
          type: 'joined',
          topic,
          others: subscribers.size - 1,
          ...(this.#tellsSelf ? { self: tagOf(from.key) } : {}),
        };
        from.deliver(joined);
      }
    else if (message.type === 'publish' && typeof message.topic === 'string') {
      this.published.push({ key: from.key, topic: message.topic, data: message.data });
      this.publish(from.key, message.topic, message.data, from);
    } else if (message.type === 'ping') from.deliver({ type: 'pong' });
  }

  /** Relays to the topic's subscribers, as the coordinator does: with the key's tag (here, the key itself). */
  publish(key: string, topic: string, data: unknown, except?: BusSocket): void {
    const relay: SignalRelay = { type: 'publish', topic, data, sender: tagOf(key) };
    for (const socket of this.#topics.get(topic) ?? []) if (socket !== except) socket.deliver(relay);
  }

  leave(socket: BusSocket): void {
    for (const subscribers of this.#topics.values()) subscribers.delete(socket);
  }
}

/** The sender tag the bus relays a key's publishes with. */
export const tagOf = (key: string): string => `tag:${key}`;

export class BusSocket {
  onopen: (() => void) | null = null;
  onmessage: Listener = null;
  onclose: (() => void) | null = null;
  onerror: ((error: unknown) => void) | null = null;
  readonly key: string;
  readonly #bus: SignalBus;
  #open = true;

  constructor(url: string, bus: SignalBus) {
    this.key = new URL(url).searchParams.get('ticket') ?? '';
    this.#bus = bus;
    setTimeout(() => this.onopen?.(), 0);
  }

  send(text: string): void {
    if (this.#open) this.#bus.receive(this, JSON.parse(text));
  }

  deliver(message: unknown): void {
    setTimeout(() => {
      if (this.#open) this.onmessage?.({ data: JSON.stringify(message) });
    }, 0);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#bus.leave(this);
    setTimeout(() => this.onclose?.(), 0);
  }
}

/** y-webrtc's room key (its crypto.js deriveKey): PBKDF2 of the secret, salted with the room name. */
export async function roomKey(secret: string, room: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, [
    'deriveKey',
  ]);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: new TextEncoder().encode(room), iterations: 100_000, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** A signaling message as y-webrtc publishes it (crypto.js encryptJson, then base64). */
export async function seal(message: unknown, key: CryptoKey): Promise<string> {
  const plain = encoding.createEncoder();
  encoding.writeAny(plain, message as never);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoding.toUint8Array(plain));
  const sealed = encoding.createEncoder();
  encoding.writeVarString(sealed, 'AES-GCM');
  encoding.writeVarUint8Array(sealed, iv);
  encoding.writeVarUint8Array(sealed, new Uint8Array(cipher));
  return toBase64(encoding.toUint8Array(sealed));
}

/** What `seal` sealed. */
export async function unseal(text: string, key: CryptoKey): Promise<unknown> {
  const decoder = decoding.createDecoder(fromBase64(text));
  decoding.readVarString(decoder);
  const iv = decoding.readVarUint8Array(decoder) as Uint8Array<ArrayBuffer>;
  const cipher = decoding.readVarUint8Array(decoder) as Uint8Array<ArrayBuffer>;
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher);
  return decoding.readAny(decoding.createDecoder(new Uint8Array(plain)));
}

/**
 * RTCPeerConnection, RTCSessionDescription and RTCIceCandidate for simple-peer: a connection that takes an
 * offer and never answers, as one answering a fake offer waits. `live` are those not closed.
 */
export function stalledWebRtc() {
  const live = new Set<StalledConnection>();
  const never = () => new Promise<never>(() => undefined);
  class StalledConnection extends EventTarget {
    connectionState = 'new';
    iceConnectionState = 'new';
    signalingState = 'stable';
    remoteSdp: string | null = null;
    /** Labels of the data channels made on it: simple-peer's own only where it offers (an answer takes the remote's). */
    channels: string[] = [];
    constructor() {
      super();
      live.add(this);
    }
    setRemoteDescription(description: { sdp?: string }) {
      this.remoteSdp = description.sdp ?? null;
      return never();
    }
    createDataChannel(label: string) {
      this.channels.push(label);
      const channel = new EventTarget() as EventTarget & Record<string, unknown>;
      channel.readyState = 'connecting';
      channel.close = () => undefined;
      return channel;
    }
    createOffer = never;
    createAnswer = never;
    setLocalDescription = never;
    addIceCandidate = never;
    getStats = never;
    close() {
      live.delete(this);
      this.connectionState = 'closed';
    }
  }
  class Description {
    constructor(readonly init: { type: string; sdp?: string }) {
      Object.assign(this, init);
    }
  }
  return {
    live,
    RTCPeerConnection: StalledConnection,
    RTCSessionDescription: Description,
    RTCIceCandidate: Description,
  };
}
