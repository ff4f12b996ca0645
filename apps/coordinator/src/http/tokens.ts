// Credentials. Project tokens are random and stored hashed; volunteer tokens are stateless HMACs
// of (volunteer key, expiry), minted only after the volunteer signs a single-use challenge (challenges.ts).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type VolunteerKey, toBase64Url } from '@bricolage/protocol';
import { sha256Hex } from '../hash';

export function newProjectToken(): { token: string; hash: string } {
  const token = `brk_${toBase64Url(randomBytes(32))}`;
  return { token, hash: projectTokenHash(token) };
}

export const projectTokenHash = (token: string): string => sha256Hex(new TextEncoder().encode(token));

export class VolunteerTokens {
  constructor(private readonly key: Uint8Array) {}

  mint(volunteer: string, expiresAt: number): string {
    const payload = `${volunteer}.${expiresAt.toString(36)}`;
    return `${payload}.${this.mac(payload)}`;
  }

  /** The volunteer key, or why the token is refused. */
  check(token: string, now: number): { ok: true; volunteer: VolunteerKey } | { ok: false; expired: boolean } {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, expired: false };
    const [volunteer, expiry, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(`${volunteer}.${expiry}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, expired: false };
    const expiresAt = parseExpiry(expiry);
    if (expiresAt === null) return { ok: false, expired: false };
    if (expiresAt < now) return { ok: false, expired: true };
    // Only a key the token route checked was ever minted a token: the MAC vouches for it.
    return { ok: true, volunteer: volunteer as VolunteerKey };
  }

  private mac(payload: string): string {
    return toBase64Url(createHmac('sha256', this.key).update(payload).digest());
  }
}

/**
 * The expiry exactly as `mint` writes it: lowercase base 36, at most 11 digits (a safe integer). parseInt
 * alone reads '' as NaN, which compares false with every time, and would make such a token never expire.
 */
function parseExpiry(text: string): number | null {
  if (!/^[0-9a-z]{1,11}$/.test(text)) return null;
  const value = Number.parseInt(text, 36);
  return Number.isSafeInteger(value) ? value : null;
}
