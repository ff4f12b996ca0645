// Images assembled from tiles: a work unit whose tag ends in `<column>,<row>` and whose output is a square
// of f32 values (the mandelbrot workload's smooth escape counts) is one tile of a picture. Shared by the
// dashboard and the volunteer page, which both fill the picture in as tiles are validated.

export interface TilePosition {
  readonly x: number;
  readonly y: number;
}

/** `mandelbrot:12,3` → column 12, row 3; any other tag is no tile. */
export function tileOf(tag: string | null): TilePosition | null {
  const m = tag === null ? null : /(?:^|[:/_ -])(\d{1,5}),(\d{1,5})$/.exec(tag);
  return m ? { x: Number(m[1]), y: Number(m[2]) } : null;
}

/** The side of a square tile of f32 values of this many bytes, or null. */
export function tileSide(bytes: number): number | null {
  if (bytes % 4 !== 0) return null;
  const side = Math.round(Math.sqrt(bytes / 4));
  return side > 0 && side * side * 4 === bytes ? side : null;
}

/**
 * A cyclic palette over log2 of the value, so deep zooms (counts in the thousands) show their bands;
 * negative values (points inside the set) are black. The same value is the same colour in every tile,
 * whichever arrives first.
 */
export function colour(value: number): [number, number, number] {
  if (!(value >= 0)) return [0, 0, 0];
  const t = Math.log2(value + 1) * 0.9;
  const wave = (phase: number) => Math.round(255 * (0.5 + 0.5 * Math.cos(2 * Math.PI * (t + phase))));
  return [wave(0), wave(0.15), wave(0.3)];
}

/** Paints one tile's values into RGBA pixels of `side`×`side`. */
export function tilePixels(values: Float32Array, side: number): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let i = 0; i < side * side; i++) {
    const [r, g, b] = colour(values[i] as number);
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** The f32 values of a tile's output bytes (little-endian, as every backend writes them). */
export function tileValues(output: Uint8Array): Float32Array {
  const copy = new Uint8Array(output.byteLength);
  copy.set(output);
  return new Float32Array(copy.buffer);
}
