import { describe, expect, it } from 'vitest';
import { seededRandom } from '../clock';
import {
  NO_TRUST_CHANGE,
  type TrustEvent,
  applyTrustChange,
  foldTrust,
  nextTrust,
  quorumFor,
  replicationProbability,
} from './trust';

const policy = { enabled: true, trustAfter: 10, spotCheckRate: 0.1 };

describe('adaptive replication', () => {
  it('replicates everything from a volunteer without a record', () => {
    expect(replicationProbability({ consecutiveValid: 9, flagged: false }, policy)).toBe(1);
  });

  it('replicates less as the record grows, never below the spot-check rate', () => {
    expect(replicationProbability({ consecutiveValid: 10, flagged: false }, policy)).toBe(0.5);
    expect(replicationProbability({ consecutiveValid: 20, flagged: false }, policy)).toBe(0.25);
    expect(replicationProbability({ consecutiveValid: 1000, flagged: false }, policy)).toBe(0.1);
  });

  it('gives a flagged volunteer no trust whatever its record', () => {
    expect(replicationProbability({ consecutiveValid: 1000, flagged: true }, policy)).toBe(1);
  });

  it('draws single replicas at roughly the expected rate, replayably', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      let single = 0;
      for (let i = 0; i < 10_000; i++)
        if (quorumFor({ consecutiveValid: 40, flagged: false }, policy, 2, random) === 1) single++;
      return single;
    };
    expect(draw(7)).toBe(draw(7));
    expect(draw(7) / 10_000).toBeGreaterThan(0.85);
    expect(draw(7) / 10_000).toBeLessThan(0.9);
  });

  it('resets on an invalid result or an error, and flags on a failed known answer', () => {
    const trusted = { consecutiveValid: 50, flagged: false };
    expect(nextTrust(trusted, 'valid')).toEqual({ consecutiveValid: 51, flagged: false });
    expect(nextTrust(trusted, 'invalid')).toEqual({ consecutiveValid: 0, flagged: false });
    expect(nextTrust(trusted, 'error')).toEqual({ consecutiveValid: 0, flagged: false });
    expect(nextTrust(trusted, 'known_answer_failed')).toEqual({ consecutiveValid: 0, flagged: true });
  });

  it("folds a transaction's events into one change that gives what applying them one by one gives", () => {
    const events: TrustEvent[] = ['valid', 'invalid', 'error', 'known_answer_failed'];
    const random = seededRandom(3);
    for (let run = 0; run < 500; run++) {
      const start = { consecutiveValid: Math.floor(random() * 30), flagged: random() < 0.2 };
      const sequence = Array.from({ length: Math.floor(random() * 8) }, () => {
        // Mostly valid results, as a real batch has.
        const r = random();
        return r < 0.7 ? 'valid' : (events[Math.floor(random() * events.length)] as TrustEvent);
      });
      const oneByOne = sequence.reduce(nextTrust, start);
      const folded = applyTrustChange(start, sequence.reduce(foldTrust, NO_TRUST_CHANGE));
      expect(folded, JSON.stringify({ start, sequence })).toEqual(oneByOne);
    }
  });
});
