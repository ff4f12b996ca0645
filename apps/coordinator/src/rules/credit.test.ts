import { describe, expect, it } from 'vitest';
import { creditFor, DEFAULT_CREDIT, maxCostPerUnit } from './credit';

const policy = DEFAULT_CREDIT;

describe('credit per result', () => {
  it('pays an honest price in full', () => {
    expect(creditFor(0.95, { heldMs: 200, timeBudgetMs: 60_000 }, policy)).toBe(0.95);
    expect(creditFor(10, { heldMs: 0, timeBudgetMs: 60_000 }, policy)).toBe(10);
  });

  it('pays an inflated price only as fast as the lease was held', () => {
    expect(creditFor(1_000_000, { heldMs: 5, timeBudgetMs: 60_000 }, policy)).toBe(10);
    expect(creditFor(1_000_000, { heldMs: 30_000, timeBudgetMs: 60_000 }, policy)).toBe(300);
    expect(creditFor(1_000_000, { heldMs: 3_600_000, timeBudgetMs: 60_000 }, policy)).toBe(600);
  });

  it('bounds a job’s price by its time budget', () => {
    expect(maxCostPerUnit(60_000, policy)).toBe(600);
    expect(maxCostPerUnit(100, policy)).toBe(1);
  });
});
