// One 64×64 tile of a deep-zoom Mandelbrot frame: the smooth (continuous) escape count per pixel.
// z and c are Q8.56 fixed-point numbers: a 64-bit two's-complement integer over 2^56, held as
// vec2<u32>(lo, hi). Integer arithmetic gives the same bits on every GPU and in WebAssembly,
// whereas double-single float tricks break wherever a driver fuses a * b + c into an FMA (WGSL
// allows it). Only the final smoothing uses f32, hence the job's float comparator.
// Mirrored line for line by assembly/index.ts; keep them in step.

struct Params {
  origin: vec4<u32>, // (x0.lo, x0.hi, y0.lo, y0.hi): c at pixel (0, 0), the tile's top-left
  step: vec4<u32>,   // (dx.lo, dx.hi, dy.lo, dy.hi): c moves by dx per column and dy per row
  limits: vec4<u32>, // (max_iter, 0, 0, 0)
}

@group(0) @binding(0) var<uniform> params: Params;
// TILE * TILE f32, row-major: n + 2 - log2(log2 |z_n|^2) for the first n with |z_n|^2 > 4, or -1
// when z stays bounded for max_iter steps.
@group(0) @binding(1) var<storage, read_write> iterations: array<f32>;

const TILE: u32 = 64u;
// 4.0 in Q8.56: the high word of 4 << 56.
const ESCAPE_HI: u32 = 0x04000000u;

// The full 64-bit product of two u32, as (lo, hi), from 16-bit halves (WGSL has no 64-bit integers).
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((mid << 16u) | (p00 & 0xffffu), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

fn is_negative(a: vec2<u32>) -> bool {
  return (a.y >> 31u) == 1u;
}

fn abs64(a: vec2<u32>) -> vec2<u32> {
  return select(a, sub64(vec2<u32>(0u, 0u), a), is_negative(a));
}

// a * b in Q8.56: bits 56..119 of the 128-bit product of the magnitudes, truncated, then signed.
fn mul_q(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let ua = abs64(a);
  let ub = abs64(b);
  let p00 = mul_wide(ua.x, ub.x);
  let p01 = mul_wide(ua.x, ub.y);
  let p10 = mul_wide(ua.y, ub.x);
  let p11 = mul_wide(ua.y, ub.y);
  // Product words w1..w3 (w0 = p00.x lies below bit 56), each sum carrying into the next word.
  let s1 = p00.y + p01.x;
  let w1 = s1 + p10.x;
  let c1 = select(0u, 1u, s1 < p00.y) + select(0u, 1u, w1 < s1);
  let s2 = p01.y + p10.y;
  let t2 = s2 + p11.x;
  let w2 = t2 + c1;
  let c2 = select(0u, 1u, s2 < p01.y) + select(0u, 1u, t2 < s2) + select(0u, 1u, w2 < t2);
  let w3 = p11.y + c2;
  let m = vec2<u32>((w1 >> 24u) | (w2 << 8u), (w2 >> 24u) | (w3 << 8u));
  return select(m, sub64(vec2<u32>(0u, 0u), m), is_negative(a) != is_negative(b));
}

// k * a for a small k >= 0, modulo 2^64, which is exact whenever the result is in range.
fn mul_small(k: u32, a: vec2<u32>) -> vec2<u32> {
  let p = mul_wide(k, a.x);
  return vec2<u32>(p.x, p.y + k * a.y);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= TILE || gid.y >= TILE) {
    return;
  }
  let cx = add64(params.origin.xy, mul_small(gid.x, params.step.xy));
  let cy = add64(params.origin.zw, mul_small(gid.y, params.step.zw));
  // z_0 = 0. Keeping x^2 and y^2 from the escape test leaves three products per step.
  var x = vec2<u32>(0u, 0u);
  var y = vec2<u32>(0u, 0u);
  var xx = vec2<u32>(0u, 0u);
  var yy = vec2<u32>(0u, 0u);
  var r2 = vec2<u32>(0u, 0u);
  var n = 0u;
  var escaped = false;
  // With both components of c in [-2, 2] and |z|^2 <= 4 before a step, no value (x^2 + y^2
  // included) exceeds 72 in magnitude: far inside Q8.56's range of ±128.
  loop {
    if (n >= params.limits.x) {
      break;
    }
    let xy = mul_q(x, y);
    x = add64(sub64(xx, yy), cx);
    y = add64(add64(xy, xy), cy);
    xx = mul_q(x, x);
    yy = mul_q(y, y);
    n += 1u;
    r2 = add64(xx, yy);
    if (r2.y > ESCAPE_HI || (r2.y == ESCAPE_HI && r2.x > 0u)) {
      escaped = true;
      break;
    }
  }
  var value = -1.0;
  if (escaped) {
    // |z|^2 in (4, 72], truncated to a multiple of 2^-17: r2.y >> 7 < 2^23 converts to f32 exactly
    // (a rounding conversion may go either way in WGSL), and the scale is a power of two.
    let r2f = f32(r2.y >> 7u) * 7.62939453125e-6;
    value = f32(n) + 2.0 - log2(log2(r2f));
  }
  iterations[gid.y * TILE + gid.x] = value;
}
