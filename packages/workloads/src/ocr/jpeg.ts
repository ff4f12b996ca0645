// JPEG → grey pixels for the researcher's side (jpeg-js: pure JavaScript, so this stays browser-safe). Scanned
// pages come as JPEG more often than not. The size is read from the frame header and checked before anything
// is decoded, as for PNG.
import { decode } from 'jpeg-js';
import type { GreyImage } from './image';
import type { ImageProblem } from './png';

/** JPEG's start-of-image marker. */
export const isJpeg = (bytes: Uint8Array): boolean => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/** The frame's size from its start-of-frame segment, or null when the segments end before one. */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | null {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1] as number;
    // Fill bytes, and markers without a length (restart markers, a stray start-of-image).
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    // Start of frame: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) return null;
      const height = ((bytes[at + 5] as number) << 8) | (bytes[at + 6] as number);
      const width = ((bytes[at + 7] as number) << 8) | (bytes[at + 8] as number);
      return { width, height };
    }
    if (marker === 0xda || length < 2) return null; // scan data before any frame: not a JPEG we can read
    at += 2 + length;
  }
  return null;
}

/** Decodes a JPEG to grey (ITU-R BT.601 luma, as for PNG), or says why not. */
export function decodeJpeg(
  bytes: Uint8Array,
  maxPixels: number,
): { ok: true; image: GreyImage } | { ok: false; error: ImageProblem } {
  const size = jpegSize(bytes);
  if (!size || size.width === 0 || size.height === 0)
    return { ok: false, error: { code: 'not_an_image', message: 'a JPEG without a readable frame header' } };
  if (size.width * size.height > maxPixels)
    return {
      ok: false,
      error: {
        code: 'image_too_large',
        message: `${size.width}×${size.height} pixels is more than the ${maxPixels.toLocaleString('en')} an image may have`,
      },
    };
  let rgba: Uint8Array;
  try {
    const decoded = decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(maxPixels / 1e6),
    });
    rgba = decoded.data;
  } catch (error) {
    return {
      ok: false,
      error: { code: 'not_an_image', message: `a JPEG that does not decode: ${(error as Error).message}` },
    };
  }
  const data = new Uint8Array(size.width * size.height);
  for (let i = 0; i < data.length; i++) {
    const p = i * 4;
    data[i] = Math.round(
      0.299 * (rgba[p] as number) + 0.587 * (rgba[p + 1] as number) + 0.114 * (rgba[p + 2] as number),
    );
  }
  return { ok: true, image: { width: size.width, height: size.height, data } };
}
