// Whose volunteer key a peer's presence proves: its `proof` checked, with the key it names, against the claim for
// the awareness client id it came under and the whole state beside it, made recently. Awareness itself is
// unauthenticated (any peer may write any id but the reader's own), so without this a peer could show itself as
// another volunteer, or put its own figures under another's row. Each claim is checked once, off the caller's
// path: the view asks again when the answer is in.
import { domainMessage, verify } from '@bricolage/protocol';
import { type PeerPresence, presenceClaimText } from '@bricolage/protocol/peer';

/** Claims remembered: a room's presence states are read up to 256 (presence.ts), each re-signed as it changes. */
export const MAX_PROOFS_KEPT = 512;
/**
 * How old (or, clocks differing, how far ahead) a proof may be and still be believed: a tab re-signs its state
 * every minute at least (presence-publisher.ts), and a copy of a gone volunteer's last state is believed this long.
 */
export const PROOF_MAX_AGE_MS = 10 * 60_000;

/** `true` proven, `false` not (no proof, an old one, or one that does not verify), `null` being checked. */
export type Proven = boolean | null;

export interface PresenceProofsOptions {
  readonly project: string;
  /** Called when a check ends, so that the view is read again. */
  readonly changed: () => void;
  readonly now?: () => number;
  readonly verifier?: typeof verify;
}

export class PresenceProofs {
  readonly #o: PresenceProofsOptions;
  readonly #verify: typeof verify;
  readonly #checked = new Map<string, Proven>();
  /** The last verdict reached for each (id, key): what a row shows while its next state is checked. */
  readonly #last = new Map<string, boolean>();

  constructor(options: PresenceProofsOptions) {
    this.#o = options;
    this.#verify = options.verifier ?? verify;
  }

  /** Whether `presence`, heard under awareness id `client`, proves the volunteer key it names. */
  proven(client: number, presence: PeerPresence): Proven {
    const { volunteer, proof, at } = presence;
    if (!volunteer || !proof || at === undefined) return false;
    if (Math.abs((this.#o.now ?? Date.now)() - at) > PROOF_MAX_AGE_MS) return false;
    const text = presenceClaimText(this.#o.project, client, presence);
    // The signature with the very text it is checked against: a proof beside other figures is another claim.
    const key = `${proof} ${text}`;
    const row = `${client} ${volunteer}`;
    const known = this.#checked.get(key);
    if (known !== undefined) {
      // Most recently read last: a peer churning made-up claims pushes out its own, not the peers still heard.
      touch(this.#checked, key, known);
      return known ?? this.#last.get(row) ?? null;
    }
    touch(this.#checked, key, null);
    void this.#verify(volunteer, domainMessage('presence', text), proof)
      .then((ok) => {
        if (this.#checked.get(key) !== null) return;
        this.#checked.set(key, ok);
        touch(this.#last, row, ok);
        this.#o.changed();
      })
      .catch((error: Error) => console.warn(`a presence proof's check ended badly: ${error.message}`));
    return this.#last.get(row) ?? null;
  }
}

/** Sets `key` as the most recent entry, the least recent out past MAX_PROOFS_KEPT (one evicted while checked is checked again). */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_PROOFS_KEPT) map.delete(map.keys().next().value as string);
}
