import { describe, expect, it } from 'vitest';
import { type ProbeVote, SUSPECT_VOUCH, suspectFor } from './known-answers';

const validated = SUSPECT_VOUCH;
const failed = (network: string, outputHash = 'other'): ProbeVote => ({
  passed: false,
  outputHash,
  network,
  validated,
});
const passed = (network: string): ProbeVote => ({ passed: true, outputHash: 'expected', network, validated });

describe('a known answer found suspect', () => {
  it('is suspect once keys of three networks returned one other output, and none passed it', () => {
    expect(suspectFor([failed('a'), failed('b')], 2)).toBeNull();
    expect(suspectFor([failed('a'), failed('b'), failed('c')], 2)).toBe('other');
  });

  it('counts a network once, however many of its keys disagree', () => {
    expect(suspectFor([failed('a'), failed('a'), failed('a'), failed('b')], 2)).toBeNull();
  });

  it('is not suspect when the disagreeing outputs differ from each other', () => {
    expect(suspectFor([failed('a', 'x'), failed('b', 'y'), failed('c', 'z')], 2)).toBeNull();
  });

  it('stands while as many networks passed it as agree against it', () => {
    const against = [failed('a'), failed('b'), failed('c')];
    expect(suspectFor([...against, passed('d'), passed('e'), passed('f')], 2)).toBeNull();
    expect(suspectFor([...against, failed('g'), passed('d'), passed('e'), passed('f')], 2)).toBe('other');
  });

  it('hears only keys with results confirmed by others: new keys that reach a fresh answer first cannot', () => {
    const fresh = (v: ProbeVote): ProbeVote => ({ ...v, validated: SUSPECT_VOUCH - 1 });
    expect(suspectFor([failed('a'), failed('b'), fresh(failed('c'))], 2)).toBeNull();
    expect(suspectFor([fresh(failed('x')), failed('a'), failed('b'), failed('c')], 2)).toBe('other');
    // Nor do new keys passing it keep it standing.
    expect(
      suspectFor([failed('a'), failed('b'), failed('c'), ...['d', 'e', 'f'].map((n) => fresh(passed(n)))], 2),
    ).toBe('other');
  });

  it('needs more networks than the job’s quorum', () => {
    const four = [failed('a'), failed('b'), failed('c'), failed('d')];
    expect(suspectFor(four.slice(0, 3), 3)).toBeNull();
    expect(suspectFor(four, 3)).toBe('other');
  });
});
