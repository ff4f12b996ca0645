// The mandelbrot work-unit layout and frame geometry, shared by the job, the work-unit generator,
// the reference and the render script: a 48-byte params block in, TILE × TILE f32 out.

export const TILE = 64;
export const PARAMS_BYTES = 48;
export const OUTPUT_BYTES = TILE * TILE * 4;
/** Q8.56: a fixed-point number is a signed 64-bit integer over 2^56. */
export const FRACTION_BITS = 56n;
const ONE = 1n << FRACTION_BITS;
const Q_MIN = -(1n << 63n);
const Q_MAX = (1n << 63n) - 1n;

/** The Q8.56 integer nearest to x (exact for any double of magnitude ≥ 2^-4: they are dyadic). */
export function toQ(x: number): bigint {
  return BigInt(Math.round(x * 2 ** 56));
}

export const fromQ = (q: bigint): number => Number(q) / 2 ** 56;

/** One tile's params: c at pixel (px, py) is (x0 + px·dx, y0 + py·dy), all Q8.56. */
export interface TileParams {
  readonly x0: bigint;
  readonly y0: bigint;
  readonly dx: bigint;
  readonly dy: bigint;
  readonly maxIter: number;
}

export function encodeTile(tile: TileParams): Uint8Array {
  const bytes = new Uint8Array(PARAMS_BYTES);
  const view = new DataView(bytes.buffer);
  [tile.x0, tile.y0, tile.dx, tile.dy].forEach((q, i) => {
    if (q < Q_MIN || q > Q_MAX) throw new RangeError(`${q} does not fit in Q8.56`);
    view.setBigInt64(i * 8, q, true);
  });
  view.setUint32(32, tile.maxIter, true);
  return bytes;
}

export function decodeTile(input: Uint8Array): TileParams {
  if (input.length !== PARAMS_BYTES)
    throw new RangeError(`mandelbrot input is ${input.length} bytes, not ${PARAMS_BYTES}`);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  return {
    x0: view.getBigInt64(0, true),
    y0: view.getBigInt64(8, true),
    dx: view.getBigInt64(16, true),
    dy: view.getBigInt64(24, true),
    maxIter: view.getUint32(32, true),
  };
}

export interface Frame {
  /** Pixels, multiples of TILE. */
  readonly width: number;
  readonly height: number;
  /** The complex number at the centre of the frame. */
  readonly centerX: number;
  readonly centerY: number;
  /** Width of the frame in the complex plane; pixels are square. */
  readonly span: number;
  readonly maxIter: number;
}

/** The tile at column tx, row ty of the frame (row 0 at the top: imaginary parts fall downwards). */
export function frameTile(frame: Frame, tx: number, ty: number): TileParams {
  const step = toQ(frame.span / frame.width);
  const left = toQ(frame.centerX) - (BigInt(frame.width) * step) / 2n;
  const top = toQ(frame.centerY) + (BigInt(frame.height) * step) / 2n;
  return {
    x0: left + BigInt(tx * TILE) * step,
    y0: top - BigInt(ty * TILE) * step,
    dx: step,
    dy: -step,
    maxIter: frame.maxIter,
  };
}

/**
 * Why the frame cannot be rendered, or null. The kernel's range argument needs every c within
 * [-2, 2]²; the pixel step must be at least 256 units of 2^-56 so that its rounding to Q8.56
 * (≤ 0.2 %) cannot distort the frame — spans down to ≈ 3.6e-15 per pixel.
 */
export function frameProblem(frame: Frame): string | null {
  const { width, height, span, maxIter } = frame;
  if (!Number.isInteger(width) || width < TILE || width % TILE !== 0) return `width must be a multiple of ${TILE}`;
  if (!Number.isInteger(height) || height < TILE || height % TILE !== 0) return `height must be a multiple of ${TILE}`;
  if (!(span > 0)) return 'span must be positive';
  if (toQ(span / width) < 256n) return `span ${span} is too deep for Q8.56 at ${width} pixels`;
  if (!Number.isInteger(maxIter) || maxIter < 1 || maxIter > 1_000_000) return 'maxIter must be in [1, 10^6]';
  const first = frameTile(frame, 0, 0);
  const lastX = first.x0 + BigInt(width - 1) * first.dx;
  const lastY = first.y0 + BigInt(height - 1) * first.dy;
  for (const q of [first.x0, first.y0, lastX, lastY])
    if (q < -2n * ONE || q > 2n * ONE) return 'the frame must lie within [-2, 2]²';
  return null;
}
