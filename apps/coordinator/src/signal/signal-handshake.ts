// /signal's handshake: who may open a signaling WebSocket. A request to /signal with a valid ticket, whose key the
// operator has not banned, within the caps on connections per address and in all; anything else is answered with
// the HTTP edge's JSON error and a 4xx, counted and logged, and no WebSocket.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { API, type ErrorCode, type VolunteerKey } from '@bricolage/protocol';
import type { Clock } from '../clock';
import type { SignalLimits } from '../config';
import { httpStatus } from '../http/errors';
import type { VolunteerTokens } from '../http/tokens';
import type { LogThrottle } from './log-throttle';
import type { Refusal } from './signaling';

export interface HandshakeOptions {
  readonly limits: SignalLimits;
  readonly tickets: VolunteerTokens;
  /** Why the operator banned the key (the message of the HTTP edge's 403), or null. */
  readonly banOf: (volunteer: string) => Promise<string | null>;
  readonly clock: Clock;
  readonly addressOf: (request: IncomingMessage) => string;
  readonly log: LogThrottle;
  /** The server's counts of handshakes refused, by reason. */
  readonly refused: Record<Refusal, number>;
  /** The connections open now: from this address, and in all. */
  readonly open: (address: string) => { readonly fromAddress: number; readonly all: number };
  /** How many bans the server has been told of (`Signaling.closeBanned`) since it started. */
  readonly bansAnnounced: () => number;
  /** Opens the WebSocket, and counts it, synchronously: nothing else runs between the caps checked and the count. */
  readonly upgrade: (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    volunteer: VolunteerKey,
    address: string,
  ) => void;
}

/** The server's `upgrade` listener. */
export function handshakes(o: HandshakeOptions): (request: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { limits } = o;

  function refuse(socket: Duplex, reason: Refusal, code: ErrorCode, message: string, address: string): void {
    o.refused[reason]++;
    o.log.line(`refused:${reason}`, `signal: refused a connection from ${address}: ${message}`);
    answer(socket, code, message);
  }

  /** Refuses the handshake when the address or the server has its fill of connections. */
  function full(socket: Duplex, address: string): boolean {
    const open = o.open(address);
    if (open.fromAddress >= limits.maxConnectionsPerAddress) {
      refuse(
        socket,
        'too_many_connections',
        'rate_limited',
        `more than ${limits.maxConnectionsPerAddress} signaling connections from this address`,
        address,
      );
      return true;
    }
    if (open.all >= limits.maxConnections) {
      refuse(socket, 'too_many_connections', 'rate_limited', 'the signaling server is full', address);
      return true;
    }
    return false;
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const address = o.addressOf(request);
    socket.on('error', (error: Error & { code?: string }) => {
      if (!clientGone(error)) o.log.line('error', `signal: socket error from ${address}: ${error.message}`);
    });
    // A request target that is no URL path (`//`, say) must be refused, not thrown: nothing catches a throw in
    // an `upgrade` listener, and it ended the process.
    const target = request.url ?? '/';
    const url = URL.canParse(target, 'http://coordinator') ? new URL(target, 'http://coordinator') : null;
    if (url === null) {
      refuse(socket, 'not_found', 'not_found', 'no WebSocket at that address', address);
      return;
    }
    if (url.pathname !== API.signal) {
      refuse(socket, 'not_found', 'not_found', `no WebSocket at ${url.pathname.slice(0, 60)}`, address);
      return;
    }
    const ticket = url.searchParams.get('ticket');
    const checked = ticket ? o.tickets.check(ticket, o.clock.now()) : null;
    if (!checked?.ok) {
      const expired = checked !== null && !checked.ok && checked.expired;
      refuse(
        socket,
        'unauthorized',
        expired ? 'token_expired' : 'unauthorized',
        ticket === null
          ? 'missing ticket: GET /v1/volunteer/peer-room hands one to signed-in volunteers'
          : expired
            ? 'signaling ticket expired: ask /v1/volunteer/peer-room for a new one'
            : 'invalid signaling ticket',
        address,
      );
      return;
    }
    // The caps before the ban's lookup too: a flood past them costs no read of the store.
    if (full(socket, address)) return;
    admit(request, socket, head, checked.volunteer, address).catch((error: Error) => {
      o.log.line('error', `signal: a handshake failed: ${error.message}`);
      socket.destroy();
    });
  };

  /** Opens the WebSocket of a ticket's volunteer, unless its key is banned (the ticket may predate the ban). */
  async function admit(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    volunteer: VolunteerKey,
    address: string,
  ): Promise<void> {
    // A ban announced while the lookup was out may have been committed after it read the list, and its close found
    // no socket of the key yet: the list is read again.
    let ban: string | null;
    let announced: number;
    try {
      do {
        announced = o.bansAnnounced();
        ban = await o.banOf(volunteer);
      } while (announced !== o.bansAnnounced());
    } catch (error) {
      // The store failed, as an HTTP request would meet it: our fault, answered as the HTTP edge answers it.
      o.log.line('error', `signal: could not read the ban list: ${(error as Error).message}`);
      answer(socket, 'internal', 'internal error');
      return;
    }
    if (ban !== null) {
      refuse(socket, 'banned', 'forbidden', ban, address);
      return;
    }
    // Gone while the ban was looked up, or others admitted meanwhile.
    if (socket.destroyed || full(socket, address)) return;
    // Synchronous from the caps checked just above to the count (no extensions, no async verifyClient): no other
    // handshake can slip past them before this one is counted.
    o.upgrade(request, socket, head, volunteer, address);
  }

  return (request, socket, head) => {
    // Whatever a handshake does wrong ends that connection, never the coordinator.
    try {
      onUpgrade(request, socket, head);
    } catch (error) {
      o.log.line('error', `signal: a handshake failed: ${(error as Error).message}`);
      socket.destroy();
    }
  };
}

/** The HTTP edge's JSON error, written on the raw socket (no WebSocket was opened). */
function answer(socket: Duplex, code: ErrorCode, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${httpStatus(code)} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A tab closed or a network dropped: the socket is gone, which is no one's fault and nothing to log. */
export function clientGone(error: Error & { code?: string }): boolean {
  return error.code === 'ECONNRESET' || error.code === 'EPIPE';
}
