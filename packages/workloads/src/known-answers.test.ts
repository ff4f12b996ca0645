import { describe, expect, it } from 'vitest';
import { checkKnownAnswers, knownAnswerDraw } from './known-answers';

describe('the draw of known-answer units', () => {
  it('takes a unit when its draw falls under one in knownAnswerEvery', () => {
    const draws = [0.24, 0.25, 0.26, 0, 0.99];
    const draw = knownAnswerDraw({ knownAnswerEvery: 4, random: () => draws.shift() as number });
    expect(Array.from({ length: 5 }, draw)).toEqual([true, false, false, true, false]);
  });

  it('takes none without knownAnswerEvery, and one in one takes all', () => {
    const none = knownAnswerDraw({ random: () => 0 });
    const all = knownAnswerDraw({ knownAnswerEvery: 1 });
    expect([none(), none(), all(), all()]).toEqual([false, false, true, true]);
  });

  it('draws afresh for every job by default: two jobs of a thousand units never pick the same ones', () => {
    // Two independent draws of 1,000 units at one in 4 agree everywhere with probability (5/8)^1000.
    const pick = () => {
      const draw = knownAnswerDraw({ knownAnswerEvery: 4 });
      return Array.from({ length: 1000 }, () => (draw() ? 1 : 0)).join('');
    };
    const [a, b] = [pick(), pick()];
    expect(a).not.toBe(b);
    // Roughly one in four, far from a fixed pattern's exactly 250 at every 4th place.
    expect(a.split('1').length - 1).toBeGreaterThan(150);
    expect(a.split('1').length - 1).toBeLessThan(350);
  });

  it('refuses a knownAnswerEvery that is not a positive integer', () => {
    for (const k of [0, -1, 2.5, Number.NaN])
      expect(() => checkKnownAnswers({ knownAnswerEvery: k })).toThrow(/positive integer/);
    expect(() => checkKnownAnswers({})).not.toThrow();
  });
});
