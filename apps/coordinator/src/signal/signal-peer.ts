// One /signal connection as the server keeps it: its volunteer key's sender tag, its rooms, its budget of messages.
import { createHmac, randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { SignalLimits } from '../config';

export interface Peer {
  readonly ws: WebSocket;
  readonly volunteer: string;
  /** The volunteer's key as the peers see it on this process's relays (senderTagger). */
  readonly sender: string;
  readonly address: string;
  readonly topics: Set<string>;
  /** Token bucket for messages per second. */
  tokens: number;
  refilledAt: number;
  /** Answered the last ping. */
  alive: boolean;
  closing: boolean;
  /** Messages are handled one after another: a subscribe must take effect before the publish behind it. */
  queue: Promise<void>;
}

/**
 * A volunteer key's sender tag, under a key new with each process: a tag links the connections of one key only
 * while they share a process, and no peer can turn it back into the key. Base64url: no dot, which a peer id
 * under it (`taggedPeerId`) puts after it.
 */
export function senderTagger(): (volunteer: string) => string {
  const tagKey = randomBytes(32);
  return (volunteer) => createHmac('sha256', tagKey).update(volunteer).digest('base64url').slice(0, 22);
}

/** Takes one message from the peer's bucket, refilled at the limit's rate; false when it is empty. */
export function takeToken(peer: Peer, now: number, limits: SignalLimits): boolean {
  peer.tokens = Math.min(
    limits.messageBurst,
    peer.tokens + ((now - peer.refilledAt) / 1000) * limits.messagesPerSecond,
  );
  peer.refilledAt = now;
  if (peer.tokens < 1) return false;
  peer.tokens -= 1;
  return true;
}
