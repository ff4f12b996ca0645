// Grey images as the OCR workload handles them: 8-bit luminance, row-major. Browser-safe.

export interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** width × height bytes, 0 black … 255 white. */
  readonly data: Uint8Array;
}

export interface Box {
  /** Pixel rectangle [x0, x1) × [y0, y1) in the page's own coordinates. */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export const WHITE = 255;

export function blankImage(width: number, height: number, value = WHITE): GreyImage {
  return { width, height, data: new Uint8Array(width * height).fill(value) };
}

/**
 * Bilinear resampling of `src` (the rectangle `box` of it) to `width` × `height`. Sampling at pixel centres;
 * when shrinking by more than 2× each output pixel averages the source pixels it covers instead, so thin
 * strokes are not lost between samples.
 */
export function resize(src: GreyImage, width: number, height: number, box?: Box): GreyImage {
  const b = box ?? { x0: 0, y0: 0, x1: src.width, y1: src.height };
  const sw = b.x1 - b.x0;
  const sh = b.y1 - b.y0;
  const out = new Uint8Array(width * height);
  const fx = sw / width;
  const fy = sh / height;
  const at = (x: number, y: number) => src.data[y * src.width + x] as number;
  if (fx > 2 || fy > 2) {
    for (let y = 0; y < height; y++) {
      const ya = b.y0 + Math.floor(y * fy);
      const yb = Math.max(ya + 1, b.y0 + Math.floor((y + 1) * fy));
      for (let x = 0; x < width; x++) {
        const xa = b.x0 + Math.floor(x * fx);
        const xb = Math.max(xa + 1, b.x0 + Math.floor((x + 1) * fx));
        let sum = 0;
        for (let yy = ya; yy < yb; yy++) for (let xx = xa; xx < xb; xx++) sum += at(xx, yy);
        out[y * width + x] = Math.round(sum / ((yb - ya) * (xb - xa)));
      }
    }
    return { width, height, data: out };
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * fy - 0.5, 0), sh - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * fx - 0.5, 0), sw - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = sx - x0;
      const top = at(b.x0 + x0, b.y0 + y0) * (1 - wx) + at(b.x0 + x1, b.y0 + y0) * wx;
      const bottom = at(b.x0 + x0, b.y0 + y1) * (1 - wx) + at(b.x0 + x1, b.y0 + y1) * wx;
      out[y * width + x] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
  return { width, height, data: out };
}

/** Copies `src` into the top-left corner of `dst` (which is changed). */
export function paste(dst: GreyImage, src: GreyImage, x: number, y: number): void {
  for (let row = 0; row < src.height; row++)
    dst.data.set(src.data.subarray(row * src.width, (row + 1) * src.width), (y + row) * dst.width + x);
}
