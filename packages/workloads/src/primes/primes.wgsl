// Segmented sieve of Eratosthenes, PrimeGrid style: counts the primes in [params.a, params.b).
// Workgroup g sieves SPAN consecutive integers in a workgroup-shared bitmap (odd numbers only,
// one bit each): its invocations share out the base primes, strike their odd multiples with
// atomicOr, then count the clear bits word by word. Output: one count per workgroup; the
// segment's count is their sum. Mirrored line for line by assembly/index.ts; keep them in step.

struct Params {
  a: u32,       // first integer of the segment
  b: u32,       // one past the last integer: b - (a & ~1) <= groups * SPAN
  nprimes: u32, // entries of base_primes to use
  groups: u32,  // workgroups dispatched (the length of counts); the wasm twin sizes its output by it
}

@group(0) @binding(0) var<uniform> params: Params;
// Odd primes in increasing order, including every prime p with p * p < b; entries < 3 are skipped.
// A constant binding: one blob for the whole job, written once, not part of each work unit's input.
@group(0) @binding(1) var<storage, read> base_primes: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;

const WORKGROUP_SIZE: u32 = 64u;
// 8 KiB of bitmap, well inside the 16 KiB of workgroup storage every WebGPU device offers.
const SPAN_WORDS: u32 = 2048u;
const SPAN_BITS: u32 = 65536u;
// Integers per workgroup: a bit stands for an odd number, so a word covers 64 integers.
const SPAN: u32 = 131072u;

var<workgroup> bitmap: array<atomic<u32>, SPAN_WORDS>;
var<workgroup> group_count: atomic<u32>;

// Bits [0, k) set, for k in [0, 32]; a shift by 32 is not defined, hence the select.
fn low_bits(k: u32) -> u32 {
  return select((1u << (k & 31u)) - 1u, 0xffffffffu, k >= 32u);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Bit j of the bitmap stands for n = start + 2j + 1; start is even. end == start past b.
  let start = (params.a & ~1u) + wg.x * SPAN;
  let end = clamp(params.b, start, start + SPAN);

  for (var w = lid; w < SPAN_WORDS; w += WORKGROUP_SIZE) {
    atomicStore(&bitmap[w], 0u);
  }
  if (lid == 0u) {
    atomicStore(&group_count, 0u);
  }
  workgroupBarrier();

  // Invocation lid takes primes lid, lid + 64, ...: one division per prime per workgroup.
  for (var i = lid; i < params.nprimes; i += WORKGROUP_SIZE) {
    let p = base_primes[i];
    if (p < 3u) {
      continue;
    }
    // Every composite n < end has a prime factor p with p * p <= n; p > 0xffff would overflow p * p.
    if (p > 0xffffu || p * p >= end) {
      break;
    }
    // The first odd multiple of p that is >= max(p * p, start): smaller multiples are struck by
    // smaller primes, and even numbers have no bit.
    let lowest = max(p * p, start);
    var m = lowest + (p - lowest % p) % p;
    if ((m & 1u) == 0u) {
      m += p;
    }
    for (; m < end; m += 2u * p) {
      let j = (m - start) >> 1u;
      atomicOr(&bitmap[j >> 5u], 1u << (j & 31u));
    }
  }
  workgroupBarrier();

  // Count the clear bits whose n lies in [max(a, 3), end): this leaves out 1; 2 has no bit.
  let lo = max(params.a, 3u);
  let jlo = select(0u, min((lo - start) >> 1u, SPAN_BITS), lo > start);
  let jhi = (end - start) >> 1u;
  var count = 0u;
  for (var w = lid; w < SPAN_WORDS; w += WORKGROUP_SIZE) {
    let first = w * 32u;
    let mask = low_bits(clamp(jhi, first, first + 32u) - first) & ~low_bits(clamp(jlo, first, first + 32u) - first);
    count += countOneBits(~atomicLoad(&bitmap[w]) & mask);
  }
  if (wg.x == 0u && lid == 0u && params.a <= 2u && params.b > 2u) {
    count += 1u;
  }
  atomicAdd(&group_count, count);
  workgroupBarrier();
  if (lid == 0u) {
    counts[wg.x] = atomicLoad(&group_count);
  }
}
