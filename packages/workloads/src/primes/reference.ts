// CPU reference for primes: a plain segmented sieve, written independently of the kernel's chunked
// odd-only bitmap so that the two cannot share a mistake. Doubles hold every integer below 2^53 exactly
// and `%` on them is exact, so the arithmetic is exact for the whole range the kernels accept (2^48).
import { decodeParams, GROUP_SPAN, paramsProblem } from './layout';

let memo: { n: number; primes: number[] } | null = null;

/**
 * The primes ≤ n, 2 included, and maybe a few more (callers stop at √hi): the longest list made so far
 * is kept, since a work unit's workgroups, and the next work unit's, need nearly the same one.
 */
function smallPrimes(n: number): number[] {
  if (memo && memo.n >= n && memo.n <= 2 * n + 64) return memo.primes;
  memo = { n, primes: sieve(n) };
  return memo.primes;
}

function sieve(n: number): number[] {
  const composite = new Uint8Array(n + 1);
  const out: number[] = [];
  for (let i = 2; i <= n; i++) {
    if (composite[i]) continue;
    out.push(i);
    for (let m = i * i; m <= n; m += i) composite[m] = 1;
  }
  return out;
}

const WINDOW = 1 << 20;

/**
 * The number of primes in [a, b): odd numbers only (n = lo + 2k + 1 for an even lo), in windows of
 * 2^21 integers so that memory stays flat.
 */
export function countPrimes(a: number, b: number): number {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b > 2 ** 52)
    throw new RangeError(`countPrimes needs integers in [0, 2^52], got [${a}, ${b})`);
  if (b <= a) return 0;
  const odd = smallPrimes(Math.floor(Math.sqrt(b - 1))).slice(1);
  const composite = new Uint8Array(Math.min(WINDOW, Math.ceil((b - a + 1) / 2)));
  let total = a <= 2 && b > 2 ? 1 : 0;
  for (let lo = a - (a % 2); lo < b; lo += 2 * WINDOW) {
    const hi = Math.min(lo + 2 * WINDOW, b);
    composite.fill(0);
    for (const p of odd) {
      if (p * p >= hi) break;
      // lo + (p - lo mod p) mod p, not ⌈lo / p⌉·p: past 2^47 a quotient rounds to the integer below.
      let m = Math.max(p * p, lo + ((p - (lo % p)) % p));
      if (m % 2 === 0) m += p;
      for (; m < hi; m += 2 * p) composite[(m - lo) >> 1] = 1;
    }
    // Odd n in [max(a, 3), hi): 1 is not prime, and 2 was counted above.
    for (let n = Math.max(lo + 1, a % 2 === 1 ? a : a + 1, 3); n < hi; n += 2) if (!composite[(n - lo) >> 1]) total++;
  }
  return total;
}

/** The output a correct volunteer returns: for each workgroup g, the primes of [a, b) it covers. */
export function primesReference(input: Uint8Array): Uint8Array {
  const { a, b, groups } = decodeParams(input);
  const problem = paramsProblem({ a, b, groups });
  if (problem) throw new RangeError(`primes work unit: ${problem}`);
  const out = new Uint8Array(groups * 4);
  const view = new DataView(out.buffer);
  const first = a - (a % 2);
  for (let g = 0; g < groups; g++) {
    const lo = Math.max(a, first + g * GROUP_SPAN);
    const hi = Math.min(b, first + (g + 1) * GROUP_SPAN);
    view.setUint32(g * 4, countPrimes(lo, hi), true);
  }
  return out;
}
