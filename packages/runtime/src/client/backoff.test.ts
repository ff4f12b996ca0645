import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

const policy = { baseMs: 100, maxMs: 1000, factor: 2 };

describe('retry backoff', () => {
  it('doubles from the base up to the cap', () => {
    const top = (attempt: number) => backoffDelay(attempt, policy, () => 1);
    expect([0, 1, 2, 3, 4, 5].map(top)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters within [d/2, d]', () => {
    expect(backoffDelay(2, policy, () => 0)).toBe(200);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(300);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, policy);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it('treats negative or fractional attempts as the first', () => {
    expect(backoffDelay(-3, policy, () => 1)).toBe(100);
    expect(backoffDelay(0.7, policy, () => 1)).toBe(100);
  });
});
