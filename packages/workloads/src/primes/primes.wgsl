// Segmented sieve of Eratosthenes, PrimeGrid style: counts the primes in [a, b), a and b 64-bit.
// Workgroup g sieves SPAN consecutive integers in a workgroup-shared bitmap (odd numbers only, one bit
// each): its invocations strike the odd multiples of the base primes with atomicOr, then count the
// clear bits word by word. Output: one count per workgroup; the segment's count is their sum.
// WGSL has no 64-bit integers: a u64 is vec2<u32>(low, high). Within a workgroup every offset from its
// start fits in a u32, so only the start, the squares of primes and start mod p need the limbs.
// An input this kernel cannot count exactly is refused: every count is REFUSED, which the runtime
// reports as an error result (the job's spec names the marker), never as a number.
// Mirrored by assembly/index.ts (u64 there); keep them in step.

struct Params {
  a: vec2<u32>,  // first integer of the segment
  b: vec2<u32>,  // one past the last integer; b <= MAX_LIMIT, b - (a & ~1) <= groups * SPAN
  nprimes: u32,  // entries of base_primes to use; the last one's square must be >= b
  groups: u32,   // workgroups dispatched (the length of counts); the wasm twin sizes its output by it
  reserved: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: Params;
// Odd primes in increasing order, every prime p with p * p < b and one more (whose square is >= b),
// so that the kernel can tell the table covers the segment. A constant binding: one blob per job.
@group(0) @binding(1) var<storage, read> base_primes: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;

const WORKGROUP_SIZE: u32 = 256u;
// 8 KiB of bitmap, well inside the 16 KiB of workgroup storage every WebGPU device offers.
const SPAN_WORDS: u32 = 2048u;
const SPAN_BITS: u32 = 65536u;
// Integers per workgroup: a bit stands for an odd number, so a word covers 64 integers.
const SPAN: u32 = 131072u;
// The first COOPERATIVE base primes (3 … 317) strike most of the bits: all invocations share out each
// one's multiples. The rest are dealt out one prime per invocation.
const COOPERATIVE: u32 = 64u;
// 2^48: primes used for striking are then below 2^24, so that start mod p takes four byte steps in u32.
const MAX_LIMIT_HIGH: u32 = 65536u;
const REFUSED: u32 = 0xffffffffu;

var<workgroup> bitmap: array<atomic<u32>, SPAN_WORDS>;
var<workgroup> group_count: atomic<u32>;
// The first multiple of each cooperative prime, found once per workgroup (by invocation i for prime i).
var<workgroup> firsts: array<u32, COOPERATIVE>;

// Bits [0, k) set, for k in [0, 32]; a shift by 32 is not defined, hence the select.
fn low_bits(k: u32) -> u32 {
  return select((1u << (k & 31u)) - 1u, 0xffffffffu, k >= 32u);
}

fn lt64(x: vec2<u32>, y: vec2<u32>) -> bool {
  return x.y < y.y || (x.y == y.y && x.x < y.x);
}

fn add64(x: vec2<u32>, k: u32) -> vec2<u32> {
  let lo = x.x + k;
  return vec2<u32>(lo, x.y + select(0u, 1u, lo < k));
}

fn sub64(x: vec2<u32>, y: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(x.x - y.x, x.y - y.y - select(0u, 1u, x.x < y.x));
}

// x * y for u32 x, y, in 16-bit halves.
fn mul64(x: u32, y: u32) -> vec2<u32> {
  let ll = (x & 0xffffu) * (y & 0xffffu);
  let lh = (x & 0xffffu) * (y >> 16u);
  let hl = (x >> 16u) * (y & 0xffffu);
  let hh = (x >> 16u) * (y >> 16u);
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return vec2<u32>((ll & 0xffffu) | (mid << 16u), hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u));
}

// x mod p for p < 2^24: the remainder stays below 2^24, so shifting in a byte never overflows.
fn mod64(x: vec2<u32>, p: u32) -> u32 {
  if (x.y == 0u) {
    return x.x % p;
  }
  var r = x.y % p;
  r = ((r << 8u) | (x.x >> 24u)) % p;
  r = ((r << 8u) | ((x.x >> 16u) & 0xffu)) % p;
  r = ((r << 8u) | ((x.x >> 8u) & 0xffu)) % p;
  return ((r << 8u) | (x.x & 0xffu)) % p;
}

// The offset from start of the first odd multiple of p that is >= max(p * p, start), or len when there
// is none below start + len: smaller multiples are struck by smaller primes, even ones have no bit.
fn first_multiple(p: u32, start: vec2<u32>, len: u32) -> u32 {
  let square = mul64(p, p);
  var off: u32;
  if (lt64(start, square)) {
    let d = sub64(square, start);
    if (d.y != 0u || d.x >= len) {
      return len;
    }
    off = d.x; // p * p is odd
  } else {
    off = (p - mod64(start, p)) % p;
    if ((off & 1u) == 0u) {
      if (off >= len || len - off <= p) {
        return len;
      }
      off += p;
    }
  }
  return min(off, len);
}

// Strikes start + off, start + off + step, … below start + len (offsets odd; no u32 overflow).
fn strike(first: u32, step: u32, len: u32) {
  var off = first;
  loop {
    if (off >= len) {
      break;
    }
    let j = off >> 1u;
    atomicOr(&bitmap[j >> 5u], 1u << (j & 31u));
    if (len - off <= step) {
      break;
    }
    off += step;
  }
}

// Whether the kernel can count [a, b) exactly with these primes and workgroups.
fn accepted(dispatched: u32) -> bool {
  let a = params.a;
  let b = params.b;
  if (params.groups != dispatched || params.groups > arrayLength(&counts)) {
    return false;
  }
  if (params.nprimes > arrayLength(&base_primes) || b.y > MAX_LIMIT_HIGH || (b.y == MAX_LIMIT_HIGH && b.x != 0u)) {
    return false;
  }
  if (!lt64(a, b)) {
    return true; // an empty segment: every count is 0
  }
  // The workgroups must cover [a & ~1, b).
  let covered = mul64(params.groups, SPAN);
  if (lt64(covered, sub64(b, vec2<u32>(a.x & ~1u, a.y)))) {
    return false;
  }
  // Every prime whose square is below b is in the table: its last entry's square is >= b.
  if (params.nprimes == 0u) {
    return !lt64(vec2<u32>(9u, 0u), b);
  }
  return !lt64(mul64(base_primes[params.nprimes - 1u], base_primes[params.nprimes - 1u]), b);
}

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let ok = accepted(groups.x);
  // Bit j of the bitmap stands for n = start + 2j + 1; start is even.
  let start = add64(vec2<u32>(params.a.x & ~1u, params.a.y), wg.x * SPAN);
  var len = 0u;
  if (ok && lt64(start, params.b)) {
    let d = sub64(params.b, start);
    len = select(min(d.x, SPAN), SPAN, d.y != 0u);
  }

  for (var w = lid; w < SPAN_WORDS; w += WORKGROUP_SIZE) {
    atomicStore(&bitmap[w], 0u);
  }
  if (lid == 0u) {
    atomicStore(&group_count, 0u);
  }
  let limit = add64(start, len);
  let together = min(params.nprimes, COOPERATIVE);
  if (lid < COOPERATIVE) {
    var first = len;
    if (lid < together && base_primes[lid] >= 3u && lt64(mul64(base_primes[lid], base_primes[lid]), limit)) {
      first = first_multiple(base_primes[lid], start, len);
    }
    firsts[lid] = first;
  }
  workgroupBarrier();

  if (len > 0u) {
    // Small primes: invocation lid strikes multiples lid, lid + 256, … of each (counted from the first);
    // a prime with nothing to strike here has len as its first.
    for (var i = 0u; i < together; i++) {
      let first = firsts[i];
      let p = base_primes[i];
      let skip = mul64(2u * p, lid);
      // Past 2^23 the stride would not fit a u32; such a prime strikes at most once here anyway.
      let stride = select(2u * p * WORKGROUP_SIZE, len, p >= 0x800000u);
      if (first < len && skip.y == 0u && skip.x < len - first) {
        strike(first + skip.x, stride, len);
      }
    }
    // The others: invocation lid takes primes COOPERATIVE + lid, + 256, …
    for (var i = together + lid; i < params.nprimes; i += WORKGROUP_SIZE) {
      let p = base_primes[i];
      if (p < 3u) {
        continue;
      }
      // Every composite n < start + len has a prime factor p with p * p <= n.
      if (!lt64(mul64(p, p), limit)) {
        break;
      }
      // p < 2^24 here, so 2p does not overflow.
      strike(first_multiple(p, start, len), 2u * p, len);
    }
  }
  workgroupBarrier();

  // Count the clear bits whose n lies in [max(a, 3), start + len): this leaves out 1; 2 has no bit.
  var lo = params.a;
  if (lo.y == 0u && lo.x < 3u) {
    lo = vec2<u32>(3u, 0u);
  }
  var jlo = 0u;
  if (lt64(start, lo)) {
    let d = sub64(lo, start);
    jlo = select(min(d.x >> 1u, SPAN_BITS), SPAN_BITS, d.y != 0u);
  }
  let jhi = len >> 1u;
  var count = 0u;
  for (var w = lid; w < SPAN_WORDS; w += WORKGROUP_SIZE) {
    let first = w * 32u;
    let mask = low_bits(clamp(jhi, first, first + 32u) - first) & ~low_bits(clamp(jlo, first, first + 32u) - first);
    count += countOneBits(~atomicLoad(&bitmap[w]) & mask);
  }
  let a = params.a;
  if (ok && wg.x == 0u && lid == 0u && a.y == 0u && a.x <= 2u && lt64(vec2<u32>(2u, 0u), params.b)) {
    count += 1u;
  }
  atomicAdd(&group_count, count);
  workgroupBarrier();
  if (lid == 0u && wg.x < arrayLength(&counts)) {
    counts[wg.x] = select(REFUSED, atomicLoad(&group_count), ok);
  }
}
