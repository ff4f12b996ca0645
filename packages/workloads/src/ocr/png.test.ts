// The PNG decoder inflates no more than the header declares: a decompression bomb (a few hundred kilobytes of
// IDAT that inflate to hundreds of megabytes behind a 1×1 header) is refused as a value, not inflated whole.
import { createDeflate } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { blankImage } from './image';
import { nodeZlib } from './node-zlib';
import { decodePng, encodePng } from './png';

const BOMB_BYTES = 256 * 1024 * 1024;

/** zlib of `total` zero bytes, streamed from one 1 MiB buffer so that the test never holds the bomb inflated. */
async function zeros(total: number): Promise<Uint8Array> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const block = Buffer.alloc(1024 * 1024);
  for (let sent = 0; sent < total; sent += block.length)
    if (!deflate.write(block)) await new Promise((resolve) => deflate.once('drain', resolve));
  deflate.end();
  await done;
  return Buffer.concat(out);
}

/** A 1×1 8-bit grey PNG whose IDAT is `idat`: the header declares 2 bytes of pixels (a filter byte and one). */
function pngWithIdat(idat: Uint8Array): Uint8Array {
  const template = encodePng(blankImage(1, 1), nodeZlib);
  // encodePng writes signature, IHDR (25 bytes), IDAT, IEND: keep the first two and the last, swap the IDAT.
  const head = template.subarray(0, 8 + 25);
  const tail = template.subarray(template.length - 12);
  const chunk = new Uint8Array(12 + idat.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, idat.length);
  chunk.set([0x49, 0x44, 0x41, 0x54], 4);
  chunk.set(idat, 8);
  // The decoder does not check CRCs: the IDAT's is left at zero.
  const png = new Uint8Array(head.length + chunk.length + tail.length);
  png.set(head, 0);
  png.set(chunk, head.length);
  png.set(tail, head.length + chunk.length);
  return png;
}

describe('PNG inflate bound', () => {
  test('a 1×1 PNG whose pixels inflate to 256 MiB is refused, saying what its header declares', async () => {
    const bomb = pngWithIdat(await zeros(BOMB_BYTES));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const result = decodePng(bomb, nodeZlib, 1e6);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'not_an_image',
        message: 'a PNG whose pixels inflate to more than the 2 bytes its 1×1 header declares',
      },
    });
    // Refused without the bomb ever being inflated whole.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);

  test('pixels that inflate to exactly what the header declares are read', () => {
    const image = blankImage(37, 11);
    image.data.fill(200);
    const decoded = decodePng(encodePng(image, nodeZlib), nodeZlib, 1e6);
    expect(decoded).toMatchObject({ ok: true, image: { width: 37, height: 11 } });
    if (decoded.ok) expect([...decoded.image.data]).toEqual([...image.data]);
  });

  test('one byte past what the header declares is refused', () => {
    const raw = new Uint8Array(11 * (37 + 1) + 1);
    const png = pngWithIdat(nodeZlib.deflate(raw));
    // pngWithIdat's header is 1×1; re-declare it 37×11 (IHDR's width and height sit at bytes 16–23).
    new DataView(png.buffer).setUint32(16, 37);
    new DataView(png.buffer).setUint32(20, 11);
    expect(decodePng(png, nodeZlib, 1e6)).toMatchObject({ ok: false, error: { code: 'not_an_image' } });
  });
});
