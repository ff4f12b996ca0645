import { describe, expect, it } from 'vitest';
import { chargeError, chargeExpiry, creditValid, DEFAULT_ERROR_BUDGET, mayLease, newBudget } from './error-budget';

const policy = DEFAULT_ERROR_BUDGET;
const HOUR = 3600_000;

describe('error budget', () => {
  it('lets a fresh key cost a unit one error, then charges the key alone and stops its leases', () => {
    let budget = newBudget(0, policy);
    const first = chargeError(budget, 0, policy);
    expect(first.countsForUnit).toBe(true);
    budget = first.budget;
    expect(mayLease(budget, 0, policy)).toBe(true);
    const second = chargeError(budget, 1, policy);
    expect(second.countsForUnit).toBe(false);
    expect(mayLease(second.budget, 1, policy)).toBe(false);
    // An hour later it may lease again, and its next error is again its own.
    expect(mayLease(second.budget, 1 + HOUR, policy)).toBe(true);
    expect(chargeError(second.budget, 1 + HOUR, policy).countsForUnit).toBe(false);
  });

  it('keeps an honest device that errs one time in ten in good standing', () => {
    let budget = newBudget(0, policy);
    let counted = 0;
    for (let i = 0; i < 1000; i++) {
      if (i % 10 === 9) {
        const charge = chargeError(budget, i, policy);
        budget = charge.budget;
        if (charge.countsForUnit) counted++;
      } else budget = creditValid(budget, i, policy);
      expect(mayLease(budget, i, policy)).toBe(true);
    }
    expect(counted).toBe(100);
  });

  it('never lets the allowance grow past its ceiling', () => {
    let budget = newBudget(0, policy);
    for (let i = 0; i < 1000; i++) budget = creditValid(budget, i, policy);
    expect(budget.allowance).toBe(policy.max);
    let counted = 0;
    for (let i = 0; i < 20; i++) {
      const charge = chargeError(budget, 2000 + i, policy);
      budget = charge.budget;
      if (charge.countsForUnit) counted++;
    }
    expect(counted).toBe(policy.max);
  });

  it('shuts a key out for at most an hour, however many errors it made at once', () => {
    let budget = newBudget(0, policy);
    let counted = 0;
    for (let i = 0; i < 256; i++) {
      const charge = chargeError(budget, 0, policy);
      budget = charge.budget;
      if (charge.countsForUnit) counted++;
    }
    expect(counted).toBe(1);
    expect(mayLease(budget, HOUR - 1, policy)).toBe(false);
    expect(mayLease(budget, HOUR, policy)).toBe(true);
  });

  it('lets expired leases cost a unit within the allowance but never shuts the key out', () => {
    // A tab closed with sixteen leases: the first expiry is the unit's, the rest the key's, and it leases on.
    let budget = newBudget(0, policy);
    let counted = 0;
    for (let i = 0; i < 16; i++) {
      const charge = chargeExpiry(budget, 0, policy);
      budget = charge.budget;
      if (charge.countsForUnit) counted++;
    }
    expect(counted).toBe(1);
    expect(budget.allowance).toBe(0);
    expect(mayLease(budget, 0, policy)).toBe(true);
    // An error result past the allowance still shuts it out, and an expiry then lifts nothing.
    budget = chargeError(budget, 1, policy).budget;
    expect(mayLease(budget, 1, policy)).toBe(false);
    const after = chargeExpiry(budget, 2, policy);
    expect(after.countsForUnit).toBe(false);
    expect(after.budget.allowance).toBeLessThan(0);
    expect(mayLease(after.budget, 2, policy)).toBe(false);
  });
});
