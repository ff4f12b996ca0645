import { describe, expect, it } from 'vitest';
import { Challenges } from './challenges';

const SECRET = new Uint8Array(32).fill(7);
const ALICE = 'A'.repeat(43);
const BOB = 'B'.repeat(43);
const NOW = 1_700_000_000_000;

describe('Challenges', () => {
  const challenges = new Challenges(SECRET);

  it('opens a challenge it issued to the same volunteer before it expires', () => {
    const c = challenges.issue(ALICE, NOW + 120_000);
    expect(c.length).toBeLessThanOrEqual(128);
    const opened = challenges.open(c, ALICE, NOW + 119_999);
    expect(opened).toMatchObject({ ok: true, expiresAt: NOW + 120_000 });
  });

  it('issues a different challenge every time', () => {
    expect(challenges.issue(ALICE, NOW)).not.toBe(challenges.issue(ALICE, NOW));
  });

  it('refuses a challenge issued to another volunteer', () => {
    expect(challenges.open(challenges.issue(ALICE, NOW + 1000), BOB, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses an expired challenge', () => {
    expect(challenges.open(challenges.issue(ALICE, NOW), ALICE, NOW + 1)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a challenge whose expiry was moved, or that another coordinator issued', () => {
    const c = challenges.issue(ALICE, NOW + 1000);
    const [nonce, , mac] = c.split('.');
    const later = `${nonce}.${(NOW + 10_000_000).toString(36)}.${mac}`;
    expect(challenges.open(later, ALICE, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(new Challenges(new Uint8Array(32).fill(8)).open(c, ALICE, NOW)).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses malformed challenges without throwing', () => {
    for (const bad of ['', 'x', 'a.b.c', `${'A'.repeat(22)}.ZZ.${'A'.repeat(43)}`, `${'A'.repeat(200)}`])
      expect(challenges.open(bad, ALICE, NOW)).toEqual({ ok: false, reason: 'forged' });
  });
});
