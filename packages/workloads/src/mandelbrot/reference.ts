// CPU reference for mandelbrot: the same Q8.56 iteration in BigInt arithmetic, written independently
// of the kernel's 16-bit-limb products; smoothing in f64, rounded to f32 at the end.
import { decodeTile, FRACTION_BITS, OUTPUT_BYTES, TILE } from './layout';

const ESCAPE = 4n << FRACTION_BITS;

/** Truncates toward zero, as the kernel does: it multiplies magnitudes and then applies the sign. */
function mulQ(a: bigint, b: bigint): bigint {
  const p = a * b;
  return p < 0n ? -(-p >> FRACTION_BITS) : p >> FRACTION_BITS;
}

/** The smooth escape count of c, or -1 when z stays bounded for maxIter steps. */
export function smoothCount(cx: bigint, cy: bigint, maxIter: number): number {
  let x = 0n;
  let y = 0n;
  let xx = 0n;
  let yy = 0n;
  for (let n = 1; n <= maxIter; n++) {
    const xy = mulQ(x, y);
    x = xx - yy + cx;
    y = 2n * xy + cy;
    xx = mulQ(x, x);
    yy = mulQ(y, y);
    const r2 = xx + yy;
    if (r2 > ESCAPE) {
      // The kernel's exact f32 of |z|², truncated to a multiple of 2^-17.
      const r2f = Number(r2 >> (FRACTION_BITS - 17n)) / 2 ** 17;
      return Math.fround(n + 2 - Math.log2(Math.log2(r2f)));
    }
  }
  return -1;
}

export function mandelbrotReference(input: Uint8Array): Uint8Array {
  const { x0, y0, dx, dy, maxIter } = decodeTile(input);
  const out = new Float32Array(TILE * TILE);
  for (let py = 0; py < TILE; py++)
    for (let px = 0; px < TILE; px++)
      out[py * TILE + px] = smoothCount(x0 + BigInt(px) * dx, y0 + BigInt(py) * dy, maxIter);
  return new Uint8Array(out.buffer, 0, OUTPUT_BYTES);
}
