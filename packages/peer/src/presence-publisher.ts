// This tab's presence as the room gets it: each state with the volunteer's key, signed with the time it was
// signed (presence-proofs.ts checks both), and sent only when it changed or its proof grows old. Awareness sends
// every change to every peer; a rate is refreshed every two seconds and changes at most that often.
import { type PeerPresence, presenceClaim } from '@bricolage/protocol/peer';

/** A state unchanged is signed again this often, well within PROOF_MAX_AGE_MS (presence-proofs.ts). */
export const RESIGN_MS = 60_000;
/** After the key failed to sign, the tab goes without it this long before trying again. */
export const RETRY_SIGN_MS = 60_000;

/** A state as the swarm makes it, before the key, the time and the proof are added. */
export type UnsignedPresence = Omit<PeerPresence, 'volunteer' | 'proof' | 'at'>;

export interface PresencePublisherOptions {
  readonly project: string;
  /** This tab's awareness client id: the claim names it. */
  readonly client: number;
  readonly identity?: { readonly key: string; sign(message: Uint8Array): Promise<string> };
  readonly send: (state: PeerPresence) => void;
  readonly now?: () => number;
}

export class PresencePublisher {
  readonly #o: PresencePublisherOptions;
  /** The last state sent (as text, without key, time or proof), and when. */
  #sent: string | null = null;
  #sentAt = 0;
  /** The state being signed, and a count that tells a signature overtaken by a newer state. */
  #pending: string | null = null;
  #signing = 0;
  /** When the key last failed to sign (null: it never did, or signed since). */
  #failedAt: number | null = null;

  constructor(options: PresencePublisherOptions) {
    this.#o = options;
  }

  publish(body: UnsignedPresence): void {
    const text = JSON.stringify(body);
    const now = (this.#o.now ?? Date.now)();
    if (text === this.#pending) return;
    if (text === this.#sent && now - this.#sentAt < RESIGN_MS) {
      // Back to what was sent while another state was being signed: that one must not go out after it.
      this.#signing++;
      this.#pending = null;
      return;
    }
    const ticket = ++this.#signing;
    const { identity } = this.#o;
    if (!identity || (this.#failedAt !== null && now - this.#failedAt < RETRY_SIGN_MS)) {
      this.#pending = null;
      this.#done(text, now, { ...body, volunteer: null, proof: null });
      return;
    }
    this.#pending = text;
    const state = { ...body, volunteer: identity.key as PeerPresence['volunteer'], at: now };
    const failed = (error: Error) => {
      // The key cannot sign (replaced since, or its store failing): the tab is shown as nobody meanwhile,
      // rather than as an unproven key, and tries again in a minute.
      console.warn(`this tab's presence goes without its key: ${error.message}`);
      this.#failedAt = now;
      if (ticket !== this.#signing) return;
      this.#pending = null;
      this.#done(text, now, { ...body, volunteer: null, proof: null });
    };
    let signing: Promise<string>;
    try {
      signing = identity.sign(presenceClaim(this.#o.project, this.#o.client, state));
    } catch (error) {
      failed(error as Error);
      return;
    }
    signing.then((proof) => {
      this.#failedAt = null;
      if (ticket !== this.#signing) return;
      this.#pending = null;
      this.#done(text, now, { ...state, proof });
    }, failed);
  }

  #done(text: string, now: number, state: PeerPresence): void {
    this.#sent = text;
    this.#sentAt = now;
    this.#o.send(state);
  }
}
