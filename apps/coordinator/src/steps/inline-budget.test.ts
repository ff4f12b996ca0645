import { expect, it } from 'vitest';
import { InlineBudget } from './inline-budget';

it('lets units whose inputs travel inline fit while their bytes do, the first always, those fetched by hash free', () => {
  const budget = new InlineBudget(40);
  // 16 + 16 fit, null costs nothing, the third 16 would make 48.
  expect(budget.fitting([16, null, 16, 16, null])).toBe(3);
  // A first input larger than the whole budget still goes alone; nothing inline after it.
  expect(new InlineBudget(10).fitting([16, null, 1])).toBe(2);
  expect(new InlineBudget(10).fitting([null, 16])).toBe(1);
  expect(budget.fitting([])).toBe(0);
});

it('counts what was carried before: fitting a list agrees with carrying its units one by one', () => {
  const budget = new InlineBudget(40);
  budget.carry(30);
  expect(budget.fits(8)).toBe(true);
  expect(budget.fits(16)).toBe(false);
  expect(budget.fits(null)).toBe(true);
  expect(budget.fitting([8, null, 8])).toBe(2);
  const sizes = [8, 2, null, 4];
  const n = budget.fitting(sizes);
  let carried = 0;
  for (const size of sizes) {
    if (!budget.fits(size)) break;
    budget.carry(size);
    carried++;
  }
  expect(carried).toBe(n);
});
