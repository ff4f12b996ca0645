import { describe, expect, it } from 'vitest';
import { KEEP_MS, TRIM_AT_MS, unitsToTrim } from './queue-trim';

const units = (job: string, n: number) => Array.from({ length: n }, () => ({ job: { id: job } }));

describe('queue trim', () => {
  it('keeps a queue of up to TRIM_AT_MS of work whole', () => {
    expect(unitsToTrim(units('a', TRIM_AT_MS / 1000), () => 1000, 1)).toBe(0);
    expect(unitsToTrim([], () => 1000, 1)).toBe(0);
  });

  it('gives back, from the end, the units that would start after KEEP_MS', () => {
    // 300 units of 1 s: the first 60 start within a minute.
    expect(unitsToTrim(units('a', 300), () => 1000, 1)).toBe(300 - KEEP_MS / 1000);
  });

  it('counts each job at its own speed, and a job not yet measured as no work', () => {
    const held = [...units('fast', 1000), ...units('new', 50), ...units('slow', 100)];
    const ms = (job: string) => (job === 'fast' ? 10 : job === 'slow' ? 2000 : null);
    // 10 s of fast units and the unmeasured ones start at once; slow units from 10 s on, 25 of them within 60 s.
    expect(unitsToTrim(held, ms, 1)).toBe(100 - 25);
  });

  it('reads a throttled device’s queue as the longer time it takes', () => {
    expect(unitsToTrim(units('a', 100), () => 1000, 1)).toBe(0);
    expect(unitsToTrim(units('a', 100), () => 1000, 0.5)).toBe(100 - 30);
  });

  it('counts the units handed to the worker first: they start before any held', () => {
    // 50 s of work in the worker: 10 of the held 1 s units start within the minute.
    expect(unitsToTrim(units('a', 100), () => 1000, 1, units('a', 50))).toBe(90);
    expect(unitsToTrim(units('a', 60), () => 1000, 1, units('a', 50))).toBe(0);
  });
});
