// PNG ⇄ grey pixels for the researcher's side (Node: zlib from node:zlib is passed in, so this file stays
// browser-safe and a page could pass its own inflate). 8-bit non-interlaced PNGs of any colour type.
import type { GreyImage } from './image';

export interface Zlib {
  /**
   * Inflates `bytes`, or returns null as soon as the output would pass `maxLength` bytes: the header says how
   * many bytes the pixels take, and a few hundred kilobytes of IDAT can otherwise inflate to gigabytes.
   */
  inflate(bytes: Uint8Array, maxLength: number): Uint8Array | null;
  deflate(bytes: Uint8Array): Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export type ImageProblem = { code: 'not_an_image' | 'unsupported_image' | 'image_too_large'; message: string };

export const isPng = (bytes: Uint8Array): boolean => SIGNATURE.every((b, i) => bytes[i] === b);

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Decodes a PNG to grey (ITU-R BT.601 luma; transparent pixels composited on white), or says why not.
 * `maxPixels` is checked from the header, before anything is inflated.
 */
export function decodePng(
  bytes: Uint8Array,
  zlib: Zlib,
  maxPixels: number,
): { ok: true; image: GreyImage } | { ok: false; error: ImageProblem } {
  if (!isPng(bytes))
    return {
      ok: false,
      error: { code: 'not_an_image', message: 'not a PNG image (its first bytes are not the PNG signature)' },
    };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colour = -1;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  let alphas: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (data.length !== length) return { ok: false, error: { code: 'not_an_image', message: 'a truncated PNG' } };
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      depth = data[8] as number;
      colour = data[9] as number;
      interlace = data[12] as number;
      if (width * height > maxPixels)
        return {
          ok: false,
          error: {
            code: 'image_too_large',
            message: `${width}×${height} pixels is more than the ${maxPixels.toLocaleString('en')} an image may have`,
          },
        };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') alphas = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const channels = CHANNELS[colour];
  if (width === 0 || height === 0 || channels === undefined)
    return { ok: false, error: { code: 'not_an_image', message: 'a PNG without a valid header' } };
  if (depth !== 8 || interlace !== 0)
    return {
      ok: false,
      error: {
        code: 'unsupported_image',
        message: `a ${depth}-bit${interlace ? ' interlaced' : ''} PNG: only 8-bit non-interlaced PNGs are read`,
      },
    };
  const stride = width * channels;
  // One filter byte before each row: exactly what 8-bit non-interlaced pixels of this header inflate to.
  const declared = height * (stride + 1);
  let raw: Uint8Array | null;
  try {
    const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of idat) {
      joined.set(d, at);
      at += d.length;
    }
    raw = zlib.inflate(joined, declared);
  } catch (error) {
    return {
      ok: false,
      error: { code: 'not_an_image', message: `a PNG whose pixels do not inflate: ${(error as Error).message}` },
    };
  }
  if (raw === null)
    return {
      ok: false,
      error: {
        code: 'not_an_image',
        message: `a PNG whose pixels inflate to more than the ${declared.toLocaleString('en')} bytes its ${width}×${height} header declares`,
      },
    };
  if (raw.length < height * (stride + 1))
    return { ok: false, error: { code: 'not_an_image', message: 'a PNG with fewer pixels than its header says' } };
  const pixels = unfilter(raw, width, height, channels);
  const out = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    let r: number;
    let g: number;
    let b: number;
    let a = 255;
    if (colour === 3) {
      const index = pixels[p] as number;
      [r, g, b] = [palette?.[index * 3] ?? 0, palette?.[index * 3 + 1] ?? 0, palette?.[index * 3 + 2] ?? 0];
      a = alphas?.[index] ?? 255;
    } else if (channels <= 2) {
      r = g = b = pixels[p] as number;
      if (channels === 2) a = pixels[p + 1] as number;
    } else {
      [r, g, b] = [pixels[p] as number, pixels[p + 1] as number, pixels[p + 2] as number];
      if (channels === 4) a = pixels[p + 3] as number;
    }
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    out[i] = Math.round((luma * a + 255 * (255 - a)) / 255);
  }
  return { ok: true, image: { width, height, data: out } };
}

function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? (out[row + x - bpp] as number) : 0;
      const b = y > 0 ? (out[row - stride + x] as number) : 0;
      const c = x >= bpp && y > 0 ? (out[row - stride + x - bpp] as number) : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[row + x] = ((line[x] as number) + predictor) & 0xff;
    }
  }
  return out;
}

/** An 8-bit grey PNG of the image (filter 0 on every row): for pictures a person looks at, and tests. */
export function encodePng(image: GreyImage, zlib: Zlib): Uint8Array {
  const raw = new Uint8Array(image.height * (image.width + 1));
  for (let y = 0; y < image.height; y++)
    raw.set(image.data.subarray(y * image.width, (y + 1) * image.width), y * (image.width + 1) + 1);
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, image.width);
  hv.setUint32(4, image.height);
  header.set([8, 0, 0, 0, 0], 8);
  const chunks = [chunk('IHDR', header), chunk('IDAT', zlib.deflate(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(8 + chunks.reduce((n, c) => n + c.length, 0));
  out.set(SIGNATURE, 0);
  let at = 8;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
