import { describe, expect, it } from 'vitest';
import { fitSlope, slopeError } from './stats';

describe('soak statistics', () => {
  it('fits the slope of a straight line exactly, with no error', () => {
    const line = [0, 1, 2, 3, 4].map((x) => [x, 10 + 3 * x] as const);
    expect(fitSlope(line)).toBeCloseTo(3, 12);
    expect(slopeError(line)).toBeCloseTo(0, 12);
  });

  it('gives noise around a flat level a slope whose error covers zero', () => {
    const noisy = [0, 1, 2, 3, 4, 5, 6, 7].map((x) => [x, 100 + (x % 2 === 0 ? 5 : -5)] as const);
    const slope = fitSlope(noisy);
    const error = slopeError(noisy);
    expect(Math.abs(slope)).toBeLessThan(2 * error);
    // Textbook value for this series: sqrt((Σ residuals² / (n − 2)) / Σ (x − x̄)²).
    expect(error).toBeCloseTo(Math.sqrt((8 * 25 - 42 * slope ** 2) / 6 / 42), 6);
  });

  it('has no error estimate below three points', () => {
    expect(
      slopeError([
        [0, 1],
        [1, 2],
      ]),
    ).toBeNaN();
  });
});
