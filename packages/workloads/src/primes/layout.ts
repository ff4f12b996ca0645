// The primes work-unit layout shared by the job, the work-unit generator and the reference: params
// (32 bytes: a and b as u64, nprimes and groups as u32, 8 reserved) in, one u32 count per workgroup
// out; the odd base primes (u32 each) are the job's one constant binding, a blob every work unit shares
// rather than a copy in each input.

/** Invocations per workgroup and integers per workgroup; must match primes.wgsl. */
export const WORKGROUP_SIZE = 256;
export const GROUP_SPAN = 131072;
export const PARAMS_BYTES = 32;
/**
 * Ranges count exactly up to b = 2^48 on every backend. The kernels carry 64-bit values, but past 2^48
 * the base primes (all primes below √b) outgrow what a work unit can take along, and the shader's
 * start mod p relies on p < 2^24. Each layer refuses more: the encoder, the coordinator at upload (the
 * job's inputChecks), the wasm twin (-4) and the shader (every count PRIMES_REFUSED).
 */
export const MAX_LIMIT = 2 ** 48;
/** Most workgroups per work unit (the wasm twin's output buffer); 2^26 integers. */
export const MAX_GROUPS = 512;
export const MAX_SEGMENT = MAX_GROUPS * GROUP_SPAN;
/** The count the shader writes in every slot of an input it refuses (no workgroup can count 2^32 primes). */
export const PRIMES_REFUSED = 0xffffffff;

export interface PrimesParamsBlock {
  /** First integer of the segment. */
  readonly a: number;
  /** One past the last integer. */
  readonly b: number;
  /** Workgroups dispatched: the segment length divided by GROUP_SPAN. */
  readonly groups: number;
}

/** All primes ≤ n, 2 included. */
function primesUpTo(n: number): number[] {
  const composite = new Uint8Array(n + 1);
  const found: number[] = [];
  for (let p = 2; p <= n; p++) {
    if (composite[p]) continue;
    found.push(p);
    for (let m = p * p; m <= n; m += p) composite[m] = 1;
  }
  return found;
}

/**
 * The odd primes that sieve every segment below limit: each p with p² < limit, and the next prime, whose
 * square is ≥ limit, so that a kernel can check that the table reaches √b (its last entry squared ≥ b).
 */
export function basePrimes(limit: number): Uint32Array {
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_LIMIT)
    throw new RangeError(`limit must be an integer in [0, 2^48], got ${limit}`);
  // Primes up to ⌊√limit⌋ + a gap that always holds the next prime (Bertrand: below 2·√limit).
  const root = Math.floor(Math.sqrt(limit));
  const found = primesUpTo(2 * root + 3).filter((p) => p > 2);
  const next = found.findIndex((p) => p * p >= limit);
  return Uint32Array.from(found.slice(0, next + 1));
}

/** Why [a, b) with these workgroups cannot be a primes work unit, or null when it can. */
export function paramsProblem({ a, b, groups }: PrimesParamsBlock): string | null {
  for (const [name, v] of [
    ['a', a],
    ['b', b],
  ] as const)
    if (!Number.isSafeInteger(v) || v < 0 || v > MAX_LIMIT) return `${name} = ${v} is not an integer in [0, 2^48]`;
  if (a > b) return `a = ${a} is past b = ${b}`;
  if (!Number.isInteger(groups) || groups < 1 || groups > MAX_GROUPS)
    return `groups = ${groups} is not an integer in [1, ${MAX_GROUPS}]`;
  if (b - (a - (a % 2)) > groups * GROUP_SPAN)
    return `[${a}, ${b}) needs ${Math.ceil((b - (a - (a % 2))) / GROUP_SPAN)} workgroups, not ${groups}`;
  return null;
}

/** A work unit's input: the segment and how many of the job's base primes to use. Refuses what the kernel would. */
export function encodeParams(params: PrimesParamsBlock, nprimes: number): Uint8Array {
  const problem = paramsProblem(params);
  if (problem) throw new RangeError(`primes work unit: ${problem}`);
  if (!Number.isInteger(nprimes) || nprimes < 0) throw new RangeError(`nprimes must be a count, got ${nprimes}`);
  const bytes = new Uint8Array(PARAMS_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(params.a), true);
  view.setBigUint64(8, BigInt(params.b), true);
  view.setUint32(16, nprimes, true);
  view.setUint32(20, params.groups, true);
  return bytes;
}

/** The base_primes constant: each prime as a little-endian u32. */
export function encodeBasePrimes(primes: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(primes.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < primes.length; i++) view.setUint32(i * 4, primes[i] as number, true);
  return bytes;
}

/** The params of an input; a and b as numbers when they are safe integers (always, below 2^48), else as they are. */
export function decodeParams(input: Uint8Array): PrimesParamsBlock & { readonly nprimes: number } {
  if (input.length < PARAMS_BYTES) throw new RangeError(`primes input is ${input.length} bytes, < ${PARAMS_BYTES}`);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const a = view.getBigUint64(0, true);
  const b = view.getBigUint64(8, true);
  const big = BigInt(Number.MAX_SAFE_INTEGER);
  if (a > big || b > big) throw new RangeError(`primes input [${a}, ${b}) lies past 2^53`);
  return {
    a: Number(a),
    b: Number(b),
    nprimes: view.getUint32(16, true),
    groups: view.getUint32(20, true),
  };
}

/** The number of primes in the segment: the sum of the per-workgroup counts. Throws on a refused input's marker. */
export function decodePrimeCount(output: Uint8Array): number {
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  let total = 0;
  for (let i = 0; i + 4 <= output.length; i += 4) {
    const count = view.getUint32(i, true);
    if (count === PRIMES_REFUSED) throw new RangeError('the primes kernel refused this input');
    total += count;
  }
  return total;
}
