// Stateless auth challenges: a random nonce and an expiry, bound to one volunteer key by an HMAC, so that
// issuing one writes nothing (an unauthenticated flood of challenge requests costs a MAC each, not a
// synchronous commit). Single use is enforced where it matters, at the token exchange, which records the
// nonce until the challenge would have expired anyway.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { toBase64Url } from '@bricolage/protocol';

export type OpenedChallenge =
  | { readonly ok: true; readonly nonce: string; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: 'forged' | 'expired' };

export class Challenges {
  private readonly key: Buffer;

  /** `secret` is the coordinator's token key; a label derives a key of its own, so no token MAC is a challenge MAC. */
  constructor(secret: Uint8Array) {
    this.key = createHmac('sha256', secret).update('bricolage/challenge-key/v1').digest();
  }

  issue(volunteer: string, expiresAt: number): string {
    const payload = `${toBase64Url(randomBytes(16))}.${expiresAt.toString(36)}`;
    return `${payload}.${this.mac(payload, volunteer)}`;
  }

  /** Checks that we issued `challenge` to `volunteer` and that it has not expired; says nothing about reuse. */
  open(challenge: string, volunteer: string, now: number): OpenedChallenge {
    const m = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{43})$/.exec(challenge);
    if (!m) return { ok: false, reason: 'forged' };
    const [, nonce, expiry, mac] = m as unknown as [string, string, string, string];
    const expected = Buffer.from(this.mac(`${nonce}.${expiry}`, volunteer));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
    const expiresAt = Number.parseInt(expiry, 36);
    if (!Number.isSafeInteger(expiresAt) || expiresAt < now) return { ok: false, reason: 'expired' };
    return { ok: true, nonce, expiresAt };
  }

  private mac(payload: string, volunteer: string): string {
    return toBase64Url(createHmac('sha256', this.key).update(`${payload}\n${volunteer}`).digest());
  }
}
