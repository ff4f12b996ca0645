// /signal: y-webrtc's signaling protocol (subscribe, unsubscribe, publish, ping → pong; a publish relayed to
// every other subscriber of its topic), spoken by the coordinator on its own HTTP port so that the stock y-webrtc
// client finds peers through it unmodified; a subscription taken is answered with how many others the room has
// and the connection's own sender tag (`joined`, which that client ignores and packages/peer reads), and each publish relayed names its sender's key by
// an opaque tag (`sender`, which packages/peer counts a page's connections by). Unlike the package's own server it admits only
// signed-in volunteers whose key is not banned (signal-handshake.ts; a ban closes the key's open connections too),
// only the rooms of this grid's projects, and within limits: a client past one is closed with a 4xxx code and a log
// line (a full room is only not joined), and everyone else is served on.
import type { IncomingMessage, Server } from 'node:http';
import {
  projectOfRoom,
  SIGNAL_CLOSE,
  type SignalCloseCode,
  JOINED_SENDERS,
  type SignalJoined,
  SignalMessage,
  type SignalRelay,
} from '@bricolage/protocol/peer';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../clock';
import type { SignalLimits } from '../config';
import type { VolunteerTokens } from '../http/tokens';
import { LogThrottle } from './log-throttle';
import { clientGone, handshakes } from './signal-handshake';
import { type Peer, senderTagger, takeToken } from './signal-peer';
import { type Closure, type Signaling, zeroSignalCounts } from './signaling';

export interface SignalingOptions {
  readonly limits: SignalLimits;
  readonly tickets: VolunteerTokens;
  /**
   * Why the operator banned this key, as its HTTP requests are refused (403 `forbidden`), or null: read at each
   * handshake, as the HTTP edge reads it at each request, so that a ticket minted before a ban opens nothing after.
   */
  readonly banOf: (volunteer: string) => Promise<string | null>;
  /** Whether a project exists: only its room may be joined. */
  readonly projectExists: (project: string) => Promise<boolean>;
  readonly clock: Clock;
  /**
   * The client a handshake comes from, as the HTTP edge counts it (a trusted proxy's X-Forwarded-For read, an
   * IPv6 /64 as one): the per-address cap counts these.
   */
  readonly addressOf: (request: IncomingMessage) => string;
  readonly log: (line: string) => void;
}

const CLOSE_CODE: Record<Closure, SignalCloseCode> = {
  bad_message: SIGNAL_CLOSE.badMessage,
  forbidden_topic: SIGNAL_CLOSE.forbiddenTopic,
  too_large: SIGNAL_CLOSE.tooLarge,
  too_many: SIGNAL_CLOSE.tooMany,
  timeout: SIGNAL_CLOSE.timeout,
  banned: SIGNAL_CLOSE.banned,
};

export function attachSignaling(server: Server, options: SignalingOptions): Signaling {
  const { limits, tickets, clock } = options;
  const log = new LogThrottle(options.log, clock);
  // Twice the limit: a message between the two is read and refused with our own close code; a larger one is
  // cut off by ws itself (1009) before it is buffered whole.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * limits.maxMessageBytes, perMessageDeflate: false });
  const topics = new Map<string, Set<Peer>>();
  const perAddress = new Map<string, number>();
  const peers = new Set<Peer>();
  const counts = zeroSignalCounts();
  const senderTag = senderTagger();
  /** Bans announced here so far: a handshake whose lookup was out meanwhile may have read the list before it. */
  let bansAnnounced = 0;

  function shut(peer: Peer, reason: Closure, detail: string): void {
    if (peer.closing) return;
    peer.closing = true;
    counts.closed[reason]++;
    log.line(
      `closed:${reason}`,
      `signal: closed ${peer.address} (volunteer ${peer.volunteer.slice(0, 8)}…) with ${CLOSE_CODE[reason]}: ${detail}`,
    );
    // A close reason is at most 123 bytes.
    peer.ws.close(CLOSE_CODE[reason], Buffer.from(detail).subarray(0, 120).toString());
  }

  function leave(peer: Peer, topic: string): void {
    peer.topics.delete(topic);
    const subscribers = topics.get(topic);
    subscribers?.delete(peer);
    if (subscribers?.size === 0) topics.delete(topic);
  }

  async function handle(peer: Peer, message: SignalMessage): Promise<void> {
    switch (message.type) {
      case 'subscribe':
        for (const topic of message.topics) {
          if (peer.topics.has(topic)) continue;
          const project = projectOfRoom(topic);
          if (!project) {
            shut(peer, 'forbidden_topic', `"${topic.slice(0, 40)}" is not a project's room`);
            return;
          }
          if (peer.topics.size >= limits.maxTopicsPerConnection) {
            shut(peer, 'too_many', `more than ${limits.maxTopicsPerConnection} rooms on one connection`);
            return;
          }
          if (!(await options.projectExists(project))) {
            shut(peer, 'forbidden_topic', `no project ${project}`);
            return;
          }
          if (peer.closing) return;
          const subscribers = topics.get(topic) ?? new Set<Peer>();
          // Every publish goes to every other subscriber: an unbounded room is a fan-out anyone with tickets
          // could grow without end. Past the cap the client simply meets nobody there (y-webrtc would reconnect
          // in a loop if it were closed), and the peers already in the room are plenty to find.
          if (subscribers.size >= limits.maxPeersPerRoom) {
            counts.roomFull++;
            log.line(
              'room-full',
              `signal: room ${topic.slice(0, 40)} is full (${limits.maxPeersPerRoom}): ${peer.address} not added`,
            );
            continue;
          }
          peer.topics.add(topic);
          topics.set(topic, subscribers);
          subscribers.add(peer);
          const others = [...subscribers].filter((p) => p !== peer);
          const joined: SignalJoined = {
            type: 'joined',
            topic,
            others: others.length,
            senders: others.slice(0, JOINED_SENDERS).map((p) => p.sender),
            // Before anything relayed in the topic: the tag its own publishes carry, which its peer id must name.
            self: peer.sender,
          };
          peer.ws.send(JSON.stringify(joined));
        }
        return;
      case 'unsubscribe':
        for (const topic of message.topics) leave(peer, topic);
        return;
      case 'publish': {
        if (!projectOfRoom(message.topic)) {
          shut(peer, 'forbidden_topic', `"${message.topic.slice(0, 40)}" is not a project's room`);
          return;
        }
        // y-webrtc may still send a signal for a room it has just left: not relayed, but no reason to close.
        if (!peer.topics.has(message.topic)) {
          counts.dropped.unsubscribed++;
          return;
        }
        // Re-serialised from the parsed message: nothing but the protocol's fields is passed on, and the sender's
        // tag, which a client cannot set (its own `sender`, if any, was dropped by the parse).
        const text = relayText({ type: 'publish', topic: message.topic, data: message.data, sender: peer.sender });
        if (text === null) {
          // JSON.parse takes any depth; JSON.stringify recurses, and thousands of nested arrays overflow it.
          shut(peer, 'bad_message', 'data nested too deep to pass on');
          return;
        }
        for (const receiver of topics.get(message.topic) ?? []) {
          if (receiver === peer || receiver.closing || receiver.ws.readyState !== WebSocket.OPEN) continue;
          if (receiver.ws.bufferedAmount > limits.maxBufferedBytes) {
            counts.dropped.slowReceiver++;
            continue;
          }
          receiver.ws.send(text);
          counts.relayed++;
        }
        return;
      }
      case 'ping':
        peer.ws.send(JSON.stringify({ type: 'pong' }));
        return;
    }
  }

  function receive(peer: Peer, data: RawData, isBinary: boolean): void {
    if (peer.closing) return;
    if (isBinary) {
      shut(peer, 'bad_message', 'a binary frame (the protocol is JSON text)');
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes.length > limits.maxMessageBytes) {
      shut(peer, 'too_large', `a ${bytes.length}-byte message (limit ${limits.maxMessageBytes})`);
      return;
    }
    if (!takeToken(peer, clock.now(), limits)) {
      shut(peer, 'too_many', `more than ${limits.messagesPerSecond} messages per second`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      shut(peer, 'bad_message', `not JSON (${(error as Error).message.slice(0, 60)})`);
      return;
    }
    const parsed = SignalMessage.safeParse(json);
    if (!parsed.success) {
      const type = (json as { type?: unknown } | null)?.type;
      shut(peer, 'bad_message', `not a signaling message (type ${JSON.stringify(type)?.slice(0, 30)})`);
      return;
    }
    peer.queue = peer.queue
      .then(() => handle(peer, parsed.data))
      .catch((error: Error) => {
        options.log(`signal: failed to handle a ${parsed.data.type} message: ${error.stack ?? error.message}`);
        peer.ws.terminate();
      });
  }

  function connected(ws: WebSocket, volunteer: string, address: string): void {
    const peer: Peer = {
      ws,
      volunteer,
      sender: senderTag(volunteer),
      address,
      topics: new Set(),
      tokens: limits.messageBurst,
      refilledAt: clock.now(),
      alive: true,
      closing: false,
      queue: Promise.resolve(),
    };
    peers.add(peer);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    counts.accepted++;

    ws.on('message', (data, isBinary) => receive(peer, data, isBinary));
    ws.on('pong', () => {
      peer.alive = true;
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        // ws has already closed it with 1009; counted and logged like our own limit.
        counts.closed.too_large++;
        log.line('closed:too_large', `signal: closed ${address}: a message over ${2 * limits.maxMessageBytes} bytes`);
      } else if (!clientGone(error)) log.line('error', `signal: connection error from ${address}: ${error.message}`);
    });
    ws.on('close', () => {
      peers.delete(peer);
      for (const topic of [...peer.topics]) leave(peer, topic);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  }

  const onUpgradeGuarded = handshakes({
    limits,
    tickets,
    banOf: options.banOf,
    clock,
    addressOf: options.addressOf,
    log,
    refused: counts.refused,
    open: (address) => ({ fromAddress: perAddress.get(address) ?? 0, all: peers.size }),
    bansAnnounced: () => bansAnnounced,
    upgrade: (request, socket, head, volunteer, address) =>
      wss.handleUpgrade(request, socket, head, (ws) => connected(ws, volunteer, address)),
  });
  server.on('upgrade', onUpgradeGuarded);

  const pinger = setInterval(() => {
    for (const peer of peers) {
      if (peer.closing) continue;
      if (!peer.alive) {
        shut(peer, 'timeout', `no answer to a ping in ${limits.pingMs} ms`);
        continue;
      }
      peer.alive = false;
      peer.ws.ping();
    }
  }, limits.pingMs);
  pinger.unref();

  return {
    stats: () => ({
      connections: peers.size,
      accepted: counts.accepted,
      refused: { ...counts.refused },
      closed: { ...counts.closed },
      roomFull: counts.roomFull,
      relayed: counts.relayed,
      dropped: { ...counts.dropped },
    }),
    closeBanned(volunteer) {
      bansAnnounced++;
      let open = 0;
      for (const peer of peers)
        if (peer.volunteer === volunteer && !peer.closing) {
          open++;
          shut(peer, 'banned', "the grid's operator banned this key");
        }
      return open;
    },
    async close() {
      server.off('upgrade', onUpgradeGuarded);
      clearInterval(pinger);
      const closed = [...peers].map(
        (peer) =>
          new Promise<void>((resolve) => {
            peer.ws.once('close', () => resolve());
            peer.closing = true;
            peer.ws.close(SIGNAL_CLOSE.goingAway, 'coordinator shutting down');
          }),
      );
      // Peers get a second to answer the close; the rest are cut off.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
      for (const peer of peers) peer.ws.terminate();
      wss.close();
    },
  };
}

/** The publish as relayed, or null when its data cannot be written out again (nested past the stack's depth). */
function relayText(relay: SignalRelay): string | null {
  try {
    return JSON.stringify(relay);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}
