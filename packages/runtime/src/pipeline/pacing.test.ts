import { describe, expect, it } from 'vitest';
import { MAX_HANDOFF, MAX_PREFETCH, batchSize, handoffSize, prefetchDepth } from './pacing';

describe('pacing', () => {
  it('hands the worker what it runs at once before the first measure, then a second of short units, capped', () => {
    expect(handoffSize(null, 1)).toBe(1);
    expect(handoffSize(null, 4)).toBe(4);
    expect(handoffSize(1500, 1)).toBe(1);
    expect(handoffSize(100, 1)).toBe(10);
    expect(handoffSize(1, 1)).toBe(MAX_HANDOFF);
  });

  it('posts one unit a call on a backend that runs several at once, else 25 ms of units', () => {
    expect(batchSize(1, 4)).toBe(1);
    expect(batchSize(null, 1)).toBe(1);
    expect(batchSize(1, 1)).toBe(25);
    expect(batchSize(10, 1)).toBe(2);
    expect(batchSize(100, 1)).toBe(1);
    expect(batchSize(0.001, 1)).toBe(64);
  });

  it('keeps leased ahead twice the lease latency in units, at most MAX_PREFETCH, plus the hand-off', () => {
    expect(prefetchDepth(null, 200, 3)).toBe(4);
    expect(prefetchDepth(100, null, 0)).toBe(1);
    expect(prefetchDepth(100, 200, 0)).toBe(4);
    expect(prefetchDepth(1000, 200, 0)).toBe(1);
    expect(prefetchDepth(0.1, 200, 5)).toBe(MAX_PREFETCH + 5);
  });
});
