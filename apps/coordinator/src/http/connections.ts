// Slow and greedy clients at the socket level, before HTTP: how long a connection may take to send its
// request, how long it may sit silent, and how many one client address may hold open at once.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger';
import { bucketOf, isTrustedProxy, normalizeAddress, type TrustedProxies } from './client-address';

export interface ConnectionLimits {
  /** The whole request head must arrive within this (a header dribbler is cut off with 408). */
  readonly headersTimeoutMs: number;
  /** The whole request, body included; a researcher's upload must finish within it. */
  readonly requestTimeoutMs: number;
  /** A socket with no bytes in either direction for this long is closed. */
  readonly idleTimeoutMs: number;
  /** How long a kept-alive socket waits for its next request. */
  readonly keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above it; a timeout fires up to this much late. */
  readonly connectionsCheckMs: number;
  /** Open sockets per client address (an IPv6 /64 counts as one); a trusted proxy has no cap. */
  readonly maxConnectionsPerAddress: number;
}

/** The options Node's HTTP server takes at creation (the checking interval cannot be changed later). */
export function serverOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckMs,
  };
}

/**
 * Applies the idle timeout and the per-address cap to every new socket. Counting happens at 'connection',
 * by the socket's peer: a connection over the cap is destroyed before it can send a byte.
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  proxies: TrustedProxies,
  logger: Logger,
): void {
  server.setTimeout(limits.idleTimeoutMs);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    if (isTrustedProxy(proxies, address)) return;
    const key = bucketOf(address);
    const count = (open.get(key) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) {
      logger.debug({ client: address, open: count - 1 }, 'connection refused: too many open from this address');
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}
