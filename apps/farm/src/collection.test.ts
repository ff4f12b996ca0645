import { describe, expect, it } from 'vitest';
import { type CollectionSlot, dueForCollection } from './collection';

const slots = (n: number): CollectionSlot[] =>
  Array.from({ length: n }, (_, index) => ({ index, nextCollection: null }));
const indices = (due: readonly CollectionSlot[]) => due.map((s) => s.index);

describe('dueForCollection', () => {
  it('spreads the first collections of four tabs over one interval, then collects each every interval', () => {
    const tabs = slots(4);
    expect(dueForCollection(tabs, 4, 1000, 0)).toEqual([]);
    expect(tabs.map((t) => t.nextCollection)).toEqual([1000, 1250, 1500, 1750]);
    expect(indices(dueForCollection(tabs, 4, 1000, 999))).toEqual([]);
    expect(indices(dueForCollection(tabs, 4, 1000, 1000))).toEqual([0]);
    expect(indices(dueForCollection(tabs, 4, 1000, 1600))).toEqual([1, 2]);
    expect(indices(dueForCollection(tabs, 4, 1000, 1999))).toEqual([3]);
    expect(indices(dueForCollection(tabs, 4, 1000, 2000))).toEqual([0]);
    expect(indices(dueForCollection(tabs, 4, 1000, 2750))).toEqual([1, 2]);
    expect(tabs.map((t) => t.nextCollection)).toEqual([3000, 3750, 3750, 2999]);
  });

  it('schedules a tab only once it is passed in, from the moment it is first seen', () => {
    const [a, b] = slots(2) as [CollectionSlot, CollectionSlot];
    dueForCollection([a], 2, 100, 0);
    expect(b.nextCollection).toBeNull();
    dueForCollection([a, b], 2, 100, 500);
    expect(b.nextCollection).toBe(650);
  });

  it('never collects when the interval is 0', () => {
    const tabs = slots(3);
    expect(dueForCollection(tabs, 3, 0, 1e12)).toEqual([]);
    expect(tabs.every((t) => t.nextCollection === null)).toBe(true);
  });
});
