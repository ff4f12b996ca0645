// A page image as a researcher hands it in, PNG or JPEG (told apart by their first bytes, not by the file's
// name), decoded to grey; anything else is refused, saying what it is.
import type { GreyImage } from './image';
import { decodeJpeg, isJpeg } from './jpeg';
import { decodePng, type ImageProblem, isPng, type Zlib } from './png';

export function decodePageImage(
  bytes: Uint8Array,
  zlib: Zlib,
  maxPixels: number,
): { ok: true; image: GreyImage } | { ok: false; error: ImageProblem } {
  if (isPng(bytes)) return decodePng(bytes, zlib, maxPixels);
  if (isJpeg(bytes)) return decodeJpeg(bytes, maxPixels);
  return {
    ok: false,
    error: { code: 'not_an_image', message: 'not a PNG or JPEG image (its first bytes are neither signature)' },
  };
}
