import { describe, expect, it } from 'vitest';
import { seededRandom } from '../clock';
import {
  afterReprieve,
  afterValid,
  afterWrong,
  DEFAULT_TRUST,
  decayedRecord,
  isTrusted,
  NEW_KEY,
  quorumFor,
  type Reputation,
  recheck,
  replicationProbability,
} from './reputation';

const policy = DEFAULT_TRUST;
const DAY = 24 * 3600_000;

/** `n` validated results one second apart, every `probeEvery`-th a passed known answer. */
function earn(rep: Reputation, n: number, start: number, probeEvery = 10): Reputation {
  let r = rep;
  for (let i = 0; i < n; i++) r = afterValid(r, start + i * 1000, policy, i % probeEvery === 0);
  return r;
}

describe('reputation', () => {
  it('trusts a new key with nothing', () => {
    expect(isTrusted(NEW_KEY, 0, policy)).toBe(false);
    expect(replicationProbability(NEW_KEY, 0, policy)).toBe(1);
  });

  it('needs validated work and passed known answers both', () => {
    const noProbes = earn(NEW_KEY, 100, 0, Number.POSITIVE_INFINITY);
    expect(noProbes.probesPassed).toBe(1); // i = 0 counts as a probe with any modulus
    expect(isTrusted(noProbes, 100_000, policy)).toBe(false);
    const withProbes = earn(NEW_KEY, 50, 0, 10);
    expect(withProbes.probesPassed).toBe(5);
    expect(isTrusted(withProbes, 50_000, policy)).toBe(true);
    // Trusted at the 41st result: forty, a second apart, have faded a hair below 40.
    expect(withProbes.trustedSince).toBe(40_000);
  });

  it('fades when the key stops earning it', () => {
    const trusted = earn(NEW_KEY, 60, 0);
    expect(isTrusted(trusted, 59_000, policy)).toBe(true);
    expect(decayedRecord(trusted, 59_000 + 7 * DAY, policy)).toBeCloseTo(30, 2);
    expect(isTrusted(trusted, 59_000 + 7 * DAY, policy)).toBe(false);
  });

  it('replicates a trusted key less as its record grows, never below the spot-check rate', () => {
    // ½ on earning trust at 40, halving every 10 more: a quarter at 50.
    const trusted = earn(NEW_KEY, 50, 0);
    expect(replicationProbability(trusted, 49_000, policy)).toBeCloseTo(0.25, 2);
    const veteran = earn(NEW_KEY, 1000, 0);
    expect(replicationProbability(veteran, 1_000_000, policy)).toBe(policy.spotCheckRate);
    const random = seededRandom(5);
    let single = 0;
    for (let i = 0; i < 10_000; i++) if (quorumFor(veteran, 1_000_000, policy, 2, random) === 1) single++;
    expect(single / 10_000).toBeGreaterThan(0.88);
    expect(single / 10_000).toBeLessThan(0.92);
  });

  it('loses trust at once on a wrong answer, and says since when to re-check', () => {
    const trusted = earn(NEW_KEY, 50, 0);
    const loss = afterWrong(trusted, 50_000, policy, 'invalid');
    expect(loss.recheckSince).toBe(trusted.trustedSince);
    expect(isTrusted(loss.reputation, 50_000, policy)).toBe(false);
    expect(loss.reputation.record).toBe(0);
    expect(loss.reputation.voting).toBe(true);
    expect(afterWrong(NEW_KEY, 0, policy, 'invalid').recheckSince).toBeNull();
  });

  it('stops the vote of a key that fails a known answer, or is wrong twice', () => {
    expect(afterWrong(NEW_KEY, 0, policy, 'known_answer_failed').reputation.voting).toBe(false);
    const once = afterWrong(NEW_KEY, 0, policy, 'invalid').reputation;
    expect(afterWrong(once, 1, policy, 'invalid').reputation.voting).toBe(false);
    // A key that no longer votes never becomes trusted again, whatever it does.
    const silenced = earn(afterWrong(NEW_KEY, 0, policy, 'known_answer_failed').reputation, 100, 1);
    expect(isTrusted(silenced, 200_000, policy)).toBe(false);
  });

  it('gives back the vote a suspect known answer took, unless another failure still stands', () => {
    const caught = afterWrong(earn(NEW_KEY, 50, 0), 50_000, policy, 'known_answer_failed').reputation;
    const reprieved = afterReprieve(caught, policy);
    expect(reprieved).toMatchObject({ voting: true, strikes: 0, caught: 0 });
    // Its trust stays lost: it earns it again.
    expect(isTrusted(reprieved, 50_000, policy)).toBe(false);
    // Caught by two known answers, one of them suspect: still silenced.
    const twice = afterWrong(caught, 50_001, policy, 'known_answer_failed').reputation;
    expect(afterReprieve(twice, policy)).toMatchObject({ voting: false, caught: 1 });
    // An invalid result before the suspect answer and one after: two strikes stand.
    const struck = afterWrong(NEW_KEY, 0, policy, 'invalid').reputation;
    const then = afterWrong(afterWrong(struck, 1, policy, 'known_answer_failed').reputation, 2, policy, 'invalid');
    expect(afterReprieve(then.reputation, policy)).toMatchObject({ voting: false, strikes: 2 });
    // One strike before it: the key votes again.
    expect(afterReprieve(afterWrong(struck, 1, policy, 'known_answer_failed').reputation, policy)).toMatchObject({
      voting: true,
      strikes: 1,
    });
  });

  it('re-checks the single-replica results since trust was earned, newest first, up to a limit', () => {
    const singles = [10, 20, 30, 40, 50].map((t) => ({ unit: `u${t}`, validatedAt: t }));
    expect(recheck(singles, 25, 10)).toEqual(['u50', 'u40', 'u30']);
    expect(recheck(singles, 25, 2)).toEqual(['u50', 'u40']);
    expect(recheck(singles, null, 10)).toEqual([]);
  });
});
