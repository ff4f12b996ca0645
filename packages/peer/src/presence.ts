// Presence: what each peer says about itself in the room's awareness (device class, backend, rate, project,
// the blobs it serves, the newest tree head it read), parsed before anything is shown or used. A state that does
// not parse, or names another project, is ignored: peers never trust peers, not even to be well-formed.
import { PeerPresence } from '@bricolage/protocol/peer';

export interface PeerView {
  /** The peer's awareness client id. */
  readonly id: number;
  readonly self: boolean;
  readonly presence: PeerPresence;
}

/**
 * Other peers' states read at most, in the order first heard. One peer's awareness update may name any number of
 * made-up clients: every one read would be parsed at each change, checked for a head, and listed on the page.
 * A room is tens of volunteers (16 connections each).
 */
export const MAX_PEERS_READ = 256;

export function readPeers(
  states: ReadonlyMap<number, unknown>,
  project: string,
  self: number,
): { peers: PeerView[]; invalid: number; unread: number } {
  const peers: PeerView[] = [];
  let invalid = 0;
  let read = 0;
  const take = (id: number, state: unknown) => {
    // A peer that has not said anything yet (an empty state) is not counted either way.
    if (state === null || (typeof state === 'object' && Object.keys(state as object).length === 0)) return;
    const parsed = PeerPresence.safeParse(state);
    if (!parsed.success || parsed.data.project !== project) invalid++;
    else peers.push({ id, self: id === self, presence: parsed.data });
  };
  take(self, states.get(self) ?? null);
  for (const [id, state] of states) {
    if (id === self) continue;
    if (read++ >= MAX_PEERS_READ) break;
    take(id, state);
  }
  const unread = Math.max(0, states.size - (states.has(self) ? 1 : 0) - MAX_PEERS_READ);
  // This volunteer first, then the others in a stable order.
  peers.sort((a, b) => Number(b.self) - Number(a.self) || a.id - b.id);
  return { peers, invalid, unread };
}

/** Work units per minute of every peer that is computing, this volunteer included. */
export const combinedRate = (peers: readonly PeerView[]): number =>
  peers.reduce((sum, p) => sum + (p.presence.state === 'computing' ? p.presence.rate : 0), 0);
