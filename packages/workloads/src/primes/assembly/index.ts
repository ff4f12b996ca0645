// @ts-nocheck: AssemblyScript (u32, u64, load<T>, memory.data), built by scripts/build-wasm.mjs, not by tsc.
// The primes WebAssembly twin: primes.wgsl mirrored step for step (each workgroup's invocations run one
// after another, their strikes of a small prime merged into one pass; u64 where the shader uses two u32 limbs), behind the import-free work-unit ABI of
// docs/WASM_ABI.md: the params are the input, the base primes the job's constant 0 (written at
// const_ptr(0) before each work unit). An input it cannot count exactly is refused (-4), never counted.

const WORKGROUP_SIZE: u32 = 256;
const SPAN_WORDS: u32 = 2048;
const SPAN_BITS: u32 = 65536;
const SPAN: u32 = 131072;
const COOPERATIVE: u32 = 64;
const MAX_LIMIT: u64 = 1 << 48;

const PARAMS_BYTES: u32 = 32;
// Odd primes below 2^24 (π(2^24) − 1 = 1,077,870) and the one after: the table for any b ≤ 2^48.
const MAX_PRIMES: u32 = 1077871;
// 512 workgroups of 2^17 integers: segments up to 2^26.
const MAX_GROUPS: u32 = 512;

// Static buffers: the host writes the constants and the input before run(), so they must already lie in memory.
const input: usize = memory.data(PARAMS_BYTES, 16);
const output: usize = memory.data(MAX_GROUPS * 4, 16);
// The workgroup's shared bitmap.
const bitmap: usize = memory.data(SPAN_WORDS * 4, 16);
const primes: usize = memory.data(MAX_PRIMES * 4, 16);

export function input_ptr(): usize {
  return input;
}

export function output_ptr(): usize {
  return output;
}

/** The job has one constant, the base primes; any other index lies outside memory, which the host refuses. */
export function const_ptr(index: i32): usize {
  return index === 0 ? primes : <usize>0xffffffff;
}

function lowBits(k: u32): u32 {
  return k >= 32 ? 0xffffffff : (1 << k) - 1;
}

function min32(x: u32, y: u32): u32 {
  return x < y ? x : y;
}

function max32(x: u32, y: u32): u32 {
  return x > y ? x : y;
}

function clamp32(x: u32, lo: u32, hi: u32): u32 {
  return min32(max32(x, lo), hi);
}

function word(w: u32): usize {
  return bitmap + ((<usize>w) << 2);
}

function prime(i: u32): u32 {
  return load<u32>(primes + ((<usize>i) << 2));
}

/** first_multiple() of primes.wgsl. */
function firstMultiple(p: u32, start: u64, len: u32): u32 {
  const square = <u64>p * <u64>p;
  let off: u32;
  if (start < square) {
    const d = square - start;
    if (d >= <u64>len) return len;
    off = <u32>d;
  } else {
    // A 32-bit remainder where start allows it: i32.rem_u is much cheaper than i64.rem_u.
    const r: u32 = start >> 32 === 0 ? <u32>start % p : <u32>(start % <u64>p);
    off = (p - r) % p;
    if ((off & 1) === 0) {
      if (off >= len || len - off <= p) return len;
      off += p;
    }
  }
  return min32(off, len);
}

/** strike() of primes.wgsl. */
function strike(first: u32, step: u32, len: u32): void {
  let off = first;
  while (off < len) {
    const j = off >> 1;
    store<u32>(word(j >> 5), load<u32>(word(j >> 5)) | (1 << (j & 31)));
    if (len - off <= step) break;
    off += step;
  }
}

/** The workgroup's count: the phases of main() in primes.wgsl, barriers between them. */
function sieveGroup(g: u32, a: u64, b: u64, nprimes: u32): u32 {
  const start: u64 = (a & ~(<u64>1)) + <u64>g * <u64>SPAN;
  let len: u32 = 0;
  if (start < b) len = b - start >= <u64>SPAN ? SPAN : <u32>(b - start);

  memory.fill(bitmap, 0, SPAN_WORDS * 4);

  if (len > 0) {
    const limit: u64 = start + <u64>len;
    const shared = min32(nprimes, COOPERATIVE);
    // The shader's invocations each strike every 256th multiple of these primes from first + 2p·lid;
    // together they strike every multiple from first, which is what one pass does here.
    for (let i: u32 = 0; i < shared; i++) {
      const p = prime(i);
      if (p < 3) continue;
      if (<u64>p * <u64>p >= limit) break;
      strike(firstMultiple(p, start, len), 2 * p, len);
    }
    for (let lid: u32 = 0; lid < WORKGROUP_SIZE; lid++) {
      for (let i = shared + lid; i < nprimes; i += WORKGROUP_SIZE) {
        const p = prime(i);
        if (p < 3) continue;
        if (<u64>p * <u64>p >= limit) break;
        strike(firstMultiple(p, start, len), 2 * p, len);
      }
    }
  }

  const lo: u64 = a < 3 ? 3 : a;
  let jlo: u32 = 0;
  if (start < lo) jlo = lo - start >= <u64>SPAN_BITS * 2 ? SPAN_BITS : min32(<u32>(lo - start) >> 1, SPAN_BITS);
  const jhi = len >> 1;
  let groupCount: u32 = 0;
  for (let lid: u32 = 0; lid < WORKGROUP_SIZE; lid++) {
    let count: u32 = 0;
    for (let w = lid; w < SPAN_WORDS; w += WORKGROUP_SIZE) {
      const first = w * 32;
      const mask = lowBits(clamp32(jhi, first, first + 32) - first) & ~lowBits(clamp32(jlo, first, first + 32) - first);
      count += <u32>popcnt<u32>(~load<u32>(word(w)) & mask);
    }
    if (g === 0 && lid === 0 && a <= 2 && b > 2) count += 1;
    groupCount += count;
  }
  return groupCount;
}

/** accepted() of primes.wgsl: whether [a, b) can be counted exactly with these primes and workgroups. */
function accepted(a: u64, b: u64, nprimes: u32, groups: u32): bool {
  if (b > MAX_LIMIT) return false;
  if (a >= b) return true;
  if (<u64>groups * <u64>SPAN < b - (a & ~(<u64>1))) return false;
  if (nprimes === 0) return b <= 9;
  const last = <u64>prime(nprimes - 1);
  return last * last >= b;
}

/**
 * Errors: -1 input length not 32, -2 nprimes beyond the base primes' capacity, -3 groups not in
 * [1, 512], -4 a range it cannot count exactly (b past 2^48, too few workgroups for [a, b), or base
 * primes that do not reach √b).
 */
export function run(inputLen: i32): i32 {
  if (inputLen !== <i32>PARAMS_BYTES) return -1;
  const a = load<u64>(input);
  const b = load<u64>(input, 8);
  const nprimes = load<u32>(input, 16);
  const groups = load<u32>(input, 20);
  if (nprimes > MAX_PRIMES) return -2;
  if (groups === 0 || groups > MAX_GROUPS) return -3;
  if (!accepted(a, b, nprimes, groups)) return -4;
  for (let g: u32 = 0; g < groups; g++) store<u32>(output + ((<usize>g) << 2), sieveGroup(g, a, b, nprimes));
  return <i32>(groups << 2);
}
