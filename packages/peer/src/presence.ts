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

export function readPeers(
  states: ReadonlyMap<number, unknown>,
  project: string,
  self: number,
): { peers: PeerView[]; invalid: number } {
  const peers: PeerView[] = [];
  let invalid = 0;
  for (const [id, state] of states) {
    // A peer that has not said anything yet (an empty state) is not counted either way.
    if (state === null || (typeof state === 'object' && Object.keys(state as object).length === 0)) continue;
    const parsed = PeerPresence.safeParse(state);
    if (!parsed.success || parsed.data.project !== project) {
      invalid++;
      continue;
    }
    peers.push({ id, self: id === self, presence: parsed.data });
  }
  // This volunteer first, then the others in a stable order.
  peers.sort((a, b) => Number(b.self) - Number(a.self) || a.id - b.id);
  return { peers, invalid };
}

/** Work units per minute of every peer that is computing, this volunteer included. */
export const combinedRate = (peers: readonly PeerView[]): number =>
  peers.reduce((sum, p) => sum + (p.presence.state === 'computing' ? p.presence.rate : 0), 0);
