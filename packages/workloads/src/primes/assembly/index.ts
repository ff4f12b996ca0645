// @ts-nocheck: AssemblyScript (u32, load<T>, memory.data), built by scripts/build-wasm.mjs, not by tsc.
// The primes WebAssembly twin: primes.wgsl mirrored line for line, each workgroup's invocations run
// one after another, behind the import-free work-unit ABI of docs/WASM_ABI.md: the params are the
// input, the base primes the job's constant 0 (written at const_ptr(0) before each work unit).

const WORKGROUP_SIZE: u32 = 64;
const SPAN_WORDS: u32 = 2048;
const SPAN_BITS: u32 = 65536;
const SPAN: u32 = 131072;

const PARAMS_BYTES: u32 = 16;
// π(65535) = 6542, so 8192 entries hold the base primes for any b < 2^32.
const MAX_PRIMES: u32 = 8192;
// 512 workgroups of 2^17 integers: segments up to 2^26.
const MAX_GROUPS: u32 = 512;

// Static buffers: the host writes the constants and the input before run(), so they must already lie in memory.
const input: usize = memory.data(PARAMS_BYTES, 16);
const primes: usize = memory.data(MAX_PRIMES * 4, 16);
const output: usize = memory.data(MAX_GROUPS * 4, 16);
// The workgroup's shared bitmap.
const bitmap: usize = memory.data(SPAN_WORDS * 4, 16);

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

/** The workgroup's count: the three phases of main() in primes.wgsl, barriers between them. */
function sieveGroup(g: u32, a: u32, b: u32, nprimes: u32): u32 {
  const start = (a & ~1) + g * SPAN;
  const end = clamp32(b, start, start + SPAN);

  memory.fill(bitmap, 0, SPAN_WORDS * 4);

  for (let lid: u32 = 0; lid < WORKGROUP_SIZE; lid++) {
    for (let i = lid; i < nprimes; i += WORKGROUP_SIZE) {
      const p = load<u32>(primes + ((<usize>i) << 2));
      if (p < 3) continue;
      if (p > 0xffff || p * p >= end) break;
      const lowest = max32(p * p, start);
      let m = lowest + ((p - (lowest % p)) % p);
      if ((m & 1) === 0) m += p;
      for (; m < end; m += 2 * p) {
        const j = (m - start) >> 1;
        store<u32>(word(j >> 5), load<u32>(word(j >> 5)) | (1 << (j & 31)));
      }
    }
  }

  const lo = max32(a, 3);
  const jlo = lo > start ? min32((lo - start) >> 1, SPAN_BITS) : 0;
  const jhi = (end - start) >> 1;
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

/** Errors: -1 input length not 16, -2 nprimes beyond the base primes' capacity, -3 bad groups. */
export function run(inputLen: i32): i32 {
  if (inputLen !== <i32>PARAMS_BYTES) return -1;
  const a = load<u32>(input);
  const b = load<u32>(input, 4);
  const nprimes = load<u32>(input, 8);
  const groups = load<u32>(input, 12);
  if (nprimes > MAX_PRIMES) return -2;
  if (groups === 0 || groups > MAX_GROUPS) return -3;
  for (let g: u32 = 0; g < groups; g++) store<u32>(output + ((<usize>g) << 2), sieveGroup(g, a, b, nprimes));
  return <i32>(groups << 2);
}
