// Page images a researcher hands in are files from anywhere: a PNG or JPEG with flipped bytes, cut short, or with
// lengths that lie is refused with a problem (a value), never a throw that ends the CLI in a stack trace.
import { encode } from 'jpeg-js';
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../onnx/prng';
import { encodePng } from './png';
import { decodePageImage } from './page-image';
import { nodeZlib } from './node-zlib';

const W = 40;
const H = 24;
const grey = { width: W, height: H, data: Uint8Array.from({ length: W * H }, (_, i) => (i * 7) & 0xff) };
const rgba = new Uint8Array(W * H * 4);
for (const [i, v] of grey.data.entries()) rgba.set([v, v, v, 255], i * 4);
const SAMPLES = {
  png: encodePng(grey, nodeZlib),
  jpeg: new Uint8Array(encode({ width: W, height: H, data: rgba }, 80).data),
};

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const r = random();
  if (r < 0.2) return out.slice(0, Math.floor(random() * out.length));
  const flips = 1 + Math.floor(random() * 8);
  for (let i = 0; i < flips; i++) {
    // Headers are where lengths and sizes live: flip there more often.
    const at = random() < 0.5 ? Math.floor(random() * Math.min(64, out.length)) : Math.floor(random() * out.length);
    out[at] = random() < 0.5 ? out[at]! ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
  }
  return out;
}

describe('a damaged page image', () => {
  for (const [kind, sample] of Object.entries(SAMPLES))
    test(`${kind}: 3,000 seeded damaged copies each decode or are refused, none throws`, () => {
      expect(decodePageImage(sample, nodeZlib, 1e6).ok).toBe(true);
      const random = mulberry32(kind.length * 977);
      const thrown: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const bytes = mutate(sample, random);
        try {
          const result = decodePageImage(bytes, nodeZlib, 1e6);
          if (result.ok) expect(result.image.data.length).toBe(result.image.width * result.image.height);
          else expect(result.error.message.length).toBeGreaterThan(0);
        } catch (e) {
          thrown.push(`#${i}: ${(e as Error).message}`);
        }
      }
      expect(thrown.slice(0, 5)).toEqual([]);
    });
});
