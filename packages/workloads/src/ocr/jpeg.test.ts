// Scanned pages as JPEG: a rendered page of known text, compressed as a scanner would, decodes to the same
// grey page; a JPEG too large is refused from its header; a broken one says so.
import { encode } from 'jpeg-js';
import { describe, expect, test } from 'vitest';
import type { GreyImage } from './image';
import { decodeJpeg, jpegSize } from './jpeg';
import { decodePageImage } from './page-image';
import { decodePng } from './png';
import { renderPage } from './render';
import { nodeZlib } from './node-zlib';

/** `image` as an RGB JPEG of `quality`, as jpeg-js's encoder writes it (JFIF header, baseline). */
function asJpeg(image: GreyImage, quality: number): Uint8Array {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (const [i, v] of image.data.entries()) rgba.set([v, v, v, 255], i * 4);
  return new Uint8Array(encode({ width: image.width, height: image.height, data: rgba }, quality).data);
}

describe('JPEG', () => {
  test('a page of text compressed at quality 90 decodes to the same grey page, within a few levels', () => {
    const png = decodePng(renderPage(3, 0).png, nodeZlib, 1e8);
    if (!png.ok) throw new Error(png.error.message);
    const jpeg = asJpeg(png.image, 90);
    expect(jpegSize(jpeg)).toEqual({ width: png.image.width, height: png.image.height });
    const decoded = decodePageImage(jpeg, nodeZlib, 1e8);
    if (!decoded.ok) throw new Error(decoded.error.message);
    expect([decoded.image.width, decoded.image.height]).toEqual([png.image.width, png.image.height]);
    let diff = 0;
    for (let i = 0; i < png.image.data.length; i++)
      diff += Math.abs((decoded.image.data[i] as number) - (png.image.data[i] as number));
    expect(diff / png.image.data.length).toBeLessThan(3);
    // The text is there: as many dark pixels as in the PNG, give or take the compression's ringing.
    const dark = (img: GreyImage) => img.data.filter((v) => v < 128).length;
    expect(Math.abs(dark(decoded.image) - dark(png.image))).toBeLessThan(dark(png.image) * 0.1);
  });

  test('a JPEG with more pixels than allowed is refused from its frame header', () => {
    const jpeg = asJpeg({ width: 300, height: 200, data: new Uint8Array(300 * 200).fill(255) }, 80);
    expect(decodeJpeg(jpeg, 300 * 200)).toMatchObject({ ok: true });
    expect(decodeJpeg(jpeg, 300 * 200 - 1)).toMatchObject({
      ok: false,
      error: { code: 'image_too_large', message: expect.stringMatching(/300×200/) },
    });
  });

  test('a JPEG whose data is cut short is refused as not_an_image, not decoded to garbage', () => {
    const jpeg = asJpeg({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(0) }, 80);
    const cut = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    expect(decodeJpeg(cut, 1e6)).toMatchObject({
      ok: false,
      error: { code: 'not_an_image', message: expect.stringMatching(/JPEG/) },
    });
  });
});
