import { describe, expect, it } from 'vitest';
import { defaultOrtThreads } from './ort';

describe('defaultOrtThreads', () => {
  it('leaves one core to the page and the rest of the machine, keeping at least one and at most four', () => {
    expect(defaultOrtThreads(1)).toBe(1);
    expect(defaultOrtThreads(2)).toBe(1);
    expect(defaultOrtThreads(3)).toBe(2);
    expect(defaultOrtThreads(5)).toBe(4);
    expect(defaultOrtThreads(64)).toBe(4);
  });
});
