import { describe, expect, it } from 'vitest';
import { MAX_HANDOFF, MAX_LEASED_AHEAD, MAX_PREFETCH, batchSize, handoffSize, leaseDepth, readyDepth } from './pacing';

describe('pacing', () => {
  it('hands the worker what it runs at once before the first measure, then a second of short units, capped', () => {
    expect(handoffSize(null, 1)).toBe(1);
    expect(handoffSize(null, 4)).toBe(4);
    expect(handoffSize(1500, 1)).toBe(1);
    expect(handoffSize(100, 1)).toBe(10);
    expect(handoffSize(10, 1)).toBe(100);
    expect(handoffSize(1, 1)).toBe(1000);
    expect(handoffSize(0.4, 1)).toBe(MAX_HANDOFF);
  });

  it('posts one unit a call on a backend that runs several at once, else 25 ms of units', () => {
    expect(batchSize(1, 4)).toBe(1);
    expect(batchSize(null, 1)).toBe(1);
    expect(batchSize(1, 1)).toBe(25);
    expect(batchSize(10, 1)).toBe(2);
    expect(batchSize(100, 1)).toBe(1);
    expect(batchSize(0.001, 1)).toBe(64);
  });

  it('keeps ready ahead twice the time a unit takes to get ready, in units, at most MAX_PREFETCH, plus the hand-off', () => {
    expect(readyDepth(null, 200, 3)).toBe(4);
    expect(readyDepth(100, null, 0)).toBe(1);
    expect(readyDepth(100, 200, 0)).toBe(4);
    expect(readyDepth(1000, 200, 0)).toBe(1);
    expect(readyDepth(0.1, 200, 5)).toBe(MAX_PREFETCH + 5);
  });

  it('keeps leased ahead twice the time new work takes to arrive, in units, at most MAX_LEASED_AHEAD, plus the hand-off', () => {
    expect(leaseDepth(null, 100, 3)).toBe(4);
    expect(leaseDepth(1, null, 0)).toBe(1);
    expect(leaseDepth(1000, 200, 0)).toBe(1);
    expect(leaseDepth(10, 100, 0)).toBe(20);
    // Sub-millisecond units behind a 100 ms lease: far more than the units kept ready.
    expect(leaseDepth(0.4, 100, 64)).toBe(500 + 64);
    expect(leaseDepth(0.1, 100, 64)).toBe(MAX_LEASED_AHEAD + 64);
    expect(leaseDepth(1, 50, 0)).toBe(100);
    expect(leaseDepth(0.001, 100, 5)).toBe(MAX_LEASED_AHEAD + 5);
  });
});
