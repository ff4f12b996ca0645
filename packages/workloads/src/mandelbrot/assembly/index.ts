// @ts-nocheck: AssemblyScript (u32, load<T>, memory.data), built by scripts/build-wasm.mjs, not by tsc.
// The mandelbrot WebAssembly twin: mandelbrot.wgsl mirrored line for line, one loop iteration per
// invocation, behind the import-free work-unit ABI of docs/WASM_ABI.md. A vec2<u32>(lo, hi) of the
// WGSL is a u64 here used only as a pair: all arithmetic is on the u32 halves, as in the shader.

const TILE: u32 = 64;
const ESCAPE_HI: u32 = 0x04000000;
const PARAMS_BYTES: i32 = 48;

const input: usize = memory.data(64, 16);
const output: usize = memory.data(TILE * TILE * 4, 16);

export function input_ptr(): usize {
  return input;
}

export function output_ptr(): usize {
  return output;
}

function pair(lo: u32, hi: u32): u64 {
  return ((<u64>hi) << 32) | <u64>lo;
}

function lo(a: u64): u32 {
  return <u32>a;
}

function hi(a: u64): u32 {
  return <u32>(a >> 32);
}

function bit(b: bool): u32 {
  return b ? 1 : 0;
}

function mulWide(a: u32, b: u32): u64 {
  const a0 = a & 0xffff;
  const a1 = a >> 16;
  const b0 = b & 0xffff;
  const b1 = b >> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return pair((mid << 16) | (p00 & 0xffff), p11 + (p01 >> 16) + (p10 >> 16) + (mid >> 16));
}

function add64(a: u64, b: u64): u64 {
  const l = lo(a) + lo(b);
  return pair(l, hi(a) + hi(b) + bit(l < lo(a)));
}

function sub64(a: u64, b: u64): u64 {
  return pair(lo(a) - lo(b), hi(a) - hi(b) - bit(lo(a) < lo(b)));
}

function isNegative(a: u64): bool {
  return hi(a) >> 31 === 1;
}

function abs64(a: u64): u64 {
  return isNegative(a) ? sub64(0, a) : a;
}

function mulQ(a: u64, b: u64): u64 {
  const ua = abs64(a);
  const ub = abs64(b);
  const p00 = mulWide(lo(ua), lo(ub));
  const p01 = mulWide(lo(ua), hi(ub));
  const p10 = mulWide(hi(ua), lo(ub));
  const p11 = mulWide(hi(ua), hi(ub));
  const s1 = hi(p00) + lo(p01);
  const w1 = s1 + lo(p10);
  const c1 = bit(s1 < hi(p00)) + bit(w1 < s1);
  const s2 = hi(p01) + hi(p10);
  const t2 = s2 + lo(p11);
  const w2 = t2 + c1;
  const c2 = bit(s2 < hi(p01)) + bit(t2 < s2) + bit(w2 < t2);
  const w3 = hi(p11) + c2;
  const m = pair((w1 >> 24) | (w2 << 8), (w2 >> 24) | (w3 << 8));
  return isNegative(a) !== isNegative(b) ? sub64(0, m) : m;
}

function mulSmall(k: u32, a: u64): u64 {
  const p = mulWide(k, lo(a));
  return pair(lo(p), hi(p) + k * hi(a));
}

function pixel(gx: u32, gy: u32): f32 {
  const cx = add64(load<u64>(input), mulSmall(gx, load<u64>(input, 16)));
  const cy = add64(load<u64>(input, 8), mulSmall(gy, load<u64>(input, 24)));
  const maxIter = load<u32>(input, 32);
  let x: u64 = 0;
  let y: u64 = 0;
  let xx: u64 = 0;
  let yy: u64 = 0;
  let r2: u64 = 0;
  let n: u32 = 0;
  let escaped = false;
  while (true) {
    if (n >= maxIter) break;
    const xy = mulQ(x, y);
    x = add64(sub64(xx, yy), cx);
    y = add64(add64(xy, xy), cy);
    xx = mulQ(x, x);
    yy = mulQ(y, y);
    n += 1;
    r2 = add64(xx, yy);
    if (hi(r2) > ESCAPE_HI || (hi(r2) === ESCAPE_HI && lo(r2) > 0)) {
      escaped = true;
      break;
    }
  }
  let value: f32 = -1.0;
  if (escaped) {
    const r2f = <f32>(hi(r2) >> 7) * <f32>7.62939453125e-6;
    value = <f32>n + <f32>2.0 - Mathf.log2(Mathf.log2(r2f));
  }
  return value;
}

/** Errors: -1 when the input is not the 48-byte params block. */
export function run(inputLen: i32): i32 {
  if (inputLen !== PARAMS_BYTES) return -1;
  for (let gy: u32 = 0; gy < TILE; gy++)
    for (let gx: u32 = 0; gx < TILE; gx++) store<f32>(output + ((<usize>(gy * TILE + gx)) << 2), pixel(gx, gy));
  return <i32>(TILE * TILE * 4);
}
