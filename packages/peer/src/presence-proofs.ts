// Whose volunteer key a peer's presence proves: its `proof` checked, with the key it names, against the claim for
// the awareness client id it came under and the whole state beside it, made recently. Awareness itself is
// unauthenticated (any peer may write any id but the reader's own), so without this a peer could show itself as
// another volunteer, or put its own figures under another's row. Checks run off the caller's path, bounded; the
// view asks again when one ends.
import { domainMessage, verify } from '@bricolage/protocol';
import { type PeerPresence, presenceClaimText } from '@bricolage/protocol/peer';

/** Verdicts remembered: a room's presence states are read up to 256 (presence.ts), each re-signed as it changes. */
export const MAX_PROOFS_KEPT = 512;
/** Checks under way at once, over every id: a peer making up states under hundreds of ids waits its turn. */
export const MAX_CHECKS = 16;
/**
 * How old (or, clocks differing, how far ahead) a proof may be and still be believed, by this reader's clock: a
 * tab re-signs its state every minute at least (presence-publisher.ts).
 */
export const PROOF_MAX_AGE_MS = 10 * 60_000;

/** `true` proven, `false` not (no proof, an old one, or one that does not verify), `null` being checked. */
export type Proven = boolean | null;

/** A peer as it may be shown: the state to show (the one heard, or the last proven while it is checked) and its verdict. */
export interface Read {
  readonly presence: PeerPresence;
  readonly proven: Proven;
}

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
  /** Verdicts by signature and the very claim text checked: a proof beside other figures is another claim. */
  readonly #checked = new Map<string, boolean>();
  /** Each id's last state proven: shown, not the state heard, while that one is checked. */
  readonly #lastProven = new Map<string, PeerPresence>();
  /** The ids with a check under way: one each. */
  readonly #checking = new Set<number>();

  constructor(options: PresenceProofsOptions) {
    this.#o = options;
    this.#verify = options.verifier ?? verify;
  }

  /** `presence` heard under awareness id `client`: what to show of it, and whether it proves the key it names. */
  read(client: number, presence: PeerPresence): Read {
    const { volunteer, proof } = presence;
    if (!volunteer || !proof || !this.#recent(presence)) return { presence, proven: false };
    const text = presenceClaimText(this.#o.project, client, presence);
    const key = `${proof} ${text}`;
    const known = this.#checked.get(key);
    if (known !== undefined) {
      // Most recently read last: a peer churning made-up claims pushes out its own, not the rows still shown.
      touch(this.#checked, key, known);
      if (known) touch(this.#lastProven, String(client), presence);
      return { presence, proven: known };
    }
    if (!this.#checking.has(client) && this.#checking.size < MAX_CHECKS)
      this.#check(client, volunteer, proof, text, key);
    const last = this.#lastProven.get(String(client));
    return last && last.volunteer === volunteer && this.#recent(last)
      ? { presence: last, proven: true }
      : { presence, proven: null };
  }

  #check(client: number, volunteer: string, proof: string, text: string, key: string): void {
    this.#checking.add(client);
    void this.#verify(volunteer, domainMessage('presence', text), proof)
      .then((ok) => touch(this.#checked, key, ok))
      .catch((error: Error) => console.warn(`a presence proof's check ended badly: ${error.message}`))
      .finally(() => {
        this.#checking.delete(client);
        // Read again: this state's verdict is in, or the id's newest state is checked next.
        this.#o.changed();
      });
  }

  #recent(presence: PeerPresence): boolean {
    return presence.at !== undefined && Math.abs((this.#o.now ?? Date.now)() - presence.at) <= PROOF_MAX_AGE_MS;
  }
}

/** Sets `key` as the most recent entry, the least recent out past MAX_PROOFS_KEPT. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_PROOFS_KEPT) map.delete(map.keys().next().value as string);
}
