// The peer layer's secrets, derived from the coordinator's token key so that they survive restarts with nothing
// new stored: signaling tickets (a MAC of volunteer and expiry, like a bearer token, under another key so that
// neither can stand for the other) and each project's room secret.
import { createHmac } from 'node:crypto';
import { toBase64Url } from '@bricolage/protocol';
import { VolunteerTokens } from '../http/tokens';

export class PeerKeys {
  /** Tickets for /signal: they only open a signaling connection, so one leaked from a URL log cannot lease or submit. */
  readonly tickets: VolunteerTokens;
  readonly #roomKey: Buffer;

  constructor(tokenKey: Uint8Array) {
    this.tickets = new VolunteerTokens(derive(tokenKey, 'bricolage/signal-ticket/v1'));
    this.#roomKey = derive(tokenKey, 'bricolage/room-secret/v1');
  }

  /** The password of a project's room: the same for every volunteer, and for the life of the token key. */
  roomSecret(project: string): string {
    return toBase64Url(createHmac('sha256', this.#roomKey).update(project).digest());
  }
}

const derive = (key: Uint8Array, purpose: string): Buffer => createHmac('sha256', key).update(purpose).digest();
