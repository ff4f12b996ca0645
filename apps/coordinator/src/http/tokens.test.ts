import { createHmac } from 'node:crypto';
import { toBase64Url } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { VolunteerTokens } from './tokens';

const KEY = new Uint8Array(32).fill(7);
const VOLUNTEER = 'A'.repeat(43);

/** A token with any expiry text, correctly MACed: what a bug in minting, or a leaked key, could produce. */
const withExpiry = (expiry: string) => {
  const payload = `${VOLUNTEER}.${expiry}`;
  return `${payload}.${toBase64Url(createHmac('sha256', KEY).update(payload).digest())}`;
};

describe('volunteer tokens', () => {
  const tokens = new VolunteerTokens(KEY);

  it('accept their volunteer until the expiry, and not after', () => {
    const token = tokens.mint(VOLUNTEER, 1_000_000);
    expect(tokens.check(token, 1_000_000)).toEqual({ ok: true, volunteer: VOLUNTEER });
    expect(tokens.check(token, 1_000_001)).toEqual({ ok: false, expired: true });
  });

  it('refuse a forged MAC, and a token of the wrong shape', () => {
    const token = tokens.mint(VOLUNTEER, 1_000_000);
    expect(tokens.check(`${token.slice(0, -2)}AA`, 0)).toEqual({ ok: false, expired: false });
    expect(tokens.check(`${token}.x`, 0)).toEqual({ ok: false, expired: false });
    expect(new VolunteerTokens(new Uint8Array(32)).check(token, 0)).toEqual({ ok: false, expired: false });
  });

  it('refuse an expiry that is not a plain base-36 number, even with a valid MAC', () => {
    // parseInt reads these as NaN (which compares false with everything: never expired) or as a prefix.
    for (const expiry of ['', 'zz!', '-', ' 1', '1.5', '-1', '+1', 'Z', 'zzzzzzzzzzzz'])
      expect(tokens.check(withExpiry(expiry), 0), JSON.stringify(expiry)).toEqual({ ok: false, expired: false });
    expect(tokens.check(withExpiry((5000).toString(36)), 4000)).toEqual({ ok: true, volunteer: VOLUNTEER });
  });
});
