// Whose volunteer key a peer's presence proves: its `proof` checked, with the key it names, against the claim for
// the awareness client id it came under. Awareness itself is unauthenticated (any peer may say anything under any
// id it picks), so without this a peer could show itself as another volunteer. Each (id, key, proof) is checked
// once, off the caller's path: the view asks again when the answer is in.
import { verify } from '@bricolage/protocol';
import { type PeerPresence, presenceClaim } from '@bricolage/protocol/peer';

/** Checked claims remembered: a room's presence states are read up to 256 (presence.ts); ids come and go. */
export const MAX_PROOFS_KEPT = 1024;

/** `true` proven, `false` not (no proof, or one that does not verify), `null` being checked. */
export type Proven = boolean | null;

export class PresenceProofs {
  readonly #project: string;
  readonly #changed: () => void;
  readonly #verify: typeof verify;
  readonly #checked = new Map<string, Proven>();

  /** `changed` is called when a check ends, so that the view is read again. */
  constructor(project: string, changed: () => void, verifier: typeof verify = verify) {
    this.#project = project;
    this.#changed = changed;
    this.#verify = verifier;
  }

  /** Whether `presence`, heard under awareness id `client`, proves the volunteer key it names. */
  proven(client: number, presence: PeerPresence): Proven {
    const { volunteer, proof } = presence;
    if (!volunteer || !proof) return false;
    const key = `${client} ${volunteer} ${proof}`;
    const known = this.#checked.get(key);
    if (known !== undefined) {
      // Most recently read last: a peer churning made-up claims pushes out its own, not the peers still heard.
      this.#checked.delete(key);
      this.#checked.set(key, known);
      return known;
    }
    this.#checked.set(key, null);
    // Least recently read first out; one evicted while checked is checked again if it is still heard.
    while (this.#checked.size > MAX_PROOFS_KEPT) this.#checked.delete(this.#checked.keys().next().value as string);
    void this.#verify(volunteer, presenceClaim(this.#project, client, volunteer), proof)
      .then((ok) => {
        if (this.#checked.get(key) !== null) return;
        this.#checked.set(key, ok);
        this.#changed();
      })
      .catch((error: Error) => console.warn(`a presence proof's check ended badly: ${error.message}`));
    return null;
  }
}
