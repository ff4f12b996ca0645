// Test support: the float comparator's rule, |got − expected| ≤ atol + rtol·|expected|, per element.
import type { Comparator } from '@bricolage/protocol';

export interface Mismatch {
  readonly index: number;
  readonly got: number;
  readonly expected: number;
}

/** The first element outside tolerance, or undefined when all agree. NaN never agrees. */
export function firstMismatch(
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  c: Comparator,
): Mismatch | undefined {
  if (got.length !== expected.length) return { index: -1, got: got.length, expected: expected.length };
  for (let i = 0; i < got.length; i++) {
    const g = got[i] as number;
    const e = expected[i] as number;
    const ok = c.kind === 'exact' ? Object.is(g, e) : Math.abs(g - e) <= c.atol + c.rtol * Math.abs(e);
    if (!ok) return { index: i, got: g, expected: e };
  }
  return undefined;
}
