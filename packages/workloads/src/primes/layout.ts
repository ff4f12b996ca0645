// The primes work-unit layout shared by the job, the work-unit generator and the reference: params
// (16 bytes) in, one u32 count per workgroup out; the odd base primes (u32 each) are the job's one
// constant binding, a blob every work unit shares rather than a copy in each input.

/** Invocations per workgroup and integers per workgroup; must match primes.wgsl. */
export const WORKGROUP_SIZE = 64;
export const GROUP_SPAN = 131072;
export const PARAMS_BYTES = 16;
/** The kernel works in u32 and squares base primes; 2^31 keeps every sum far from overflow. */
export const MAX_LIMIT = 2 ** 31;
/** 512 workgroups, as many as the wasm twin's output buffer holds; 2^26 integers ≈ 0.2 s of wasm here. */
export const MAX_SEGMENT = 2 ** 26;

export interface PrimesParamsBlock {
  /** First integer of the segment. */
  readonly a: number;
  /** One past the last integer. */
  readonly b: number;
  /** Workgroups dispatched: the segment length divided by GROUP_SPAN. */
  readonly groups: number;
}

/** Odd primes ≤ √(limit − 1), which sieve every segment below limit; never empty (WebGPU refuses empty buffers). */
export function basePrimes(limit: number): Uint32Array {
  const root = Math.max(3, Math.floor(Math.sqrt(Math.max(0, limit - 1))));
  const composite = new Uint8Array(root + 1);
  const found: number[] = [];
  for (let n = 3; n <= root; n += 2) {
    if (composite[n]) continue;
    found.push(n);
    for (let m = n * n; m <= root; m += 2 * n) composite[m] = 1;
  }
  return Uint32Array.from(found);
}

/** A work unit's input: the segment and how many of the job's base primes to use. */
export function encodeParams(params: PrimesParamsBlock, nprimes: number): Uint8Array {
  const bytes = new Uint8Array(PARAMS_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, params.a, true);
  view.setUint32(4, params.b, true);
  view.setUint32(8, nprimes, true);
  view.setUint32(12, params.groups, true);
  return bytes;
}

/** The base_primes constant: each prime as a little-endian u32. */
export function encodeBasePrimes(primes: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(primes.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < primes.length; i++) view.setUint32(i * 4, primes[i] as number, true);
  return bytes;
}

export function decodeParams(input: Uint8Array): PrimesParamsBlock & { readonly nprimes: number } {
  if (input.length < PARAMS_BYTES) throw new RangeError(`primes input is ${input.length} bytes, < ${PARAMS_BYTES}`);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  return {
    a: view.getUint32(0, true),
    b: view.getUint32(4, true),
    nprimes: view.getUint32(8, true),
    groups: view.getUint32(12, true),
  };
}

/** The number of primes in the segment: the sum of the per-workgroup counts. */
export function decodePrimeCount(output: Uint8Array): number {
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  let total = 0;
  for (let i = 0; i + 4 <= output.length; i += 4) total += view.getUint32(i, true);
  return total;
}
