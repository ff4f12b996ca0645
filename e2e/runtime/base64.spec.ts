// Base64 in a real page: Chromium has its own codec (Uint8Array.fromBase64 and toBase64), which the protocol's
// functions use there and Node 20 lacks, so only here are they what runs on volunteers' inputs and results.
import { expect, test } from '@playwright/test';
import { type Grid, startGrid } from '../support/grid';
import { openHarness } from '../support/page';

let grid: Grid;
test.beforeAll(async () => {
  grid = await startGrid();
});
test.afterAll(async () => {
  await grid?.close();
});

interface Codec {
  toBase64(bytes: Uint8Array): string;
  fromBase64(text: string): Uint8Array;
}

test("the page's base64 is the platform's codec, byte for byte what Node's is, and refuses what is not base64", async ({
  page,
}) => {
  await openHarness(page, grid.url);
  const lengths = [0, 1, 2, 3, 4, 5, 255, 0x8000 - 1, 0x8000, 0x8000 + 1, 131_104];
  const seen = await page.evaluate((lengths) => {
    const { toBase64, fromBase64 } = (window as unknown as { bricolage: Codec }).bricolage;
    const native = typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64 === 'function';
    const encoded = lengths.map((length) => {
      const bytes = new Uint8Array(length).map((_, i) => (i * 131 + (i >> 8)) & 0xff);
      const text = toBase64(bytes);
      const back = fromBase64(text);
      const unpadded = fromBase64(text.replace(/=+$/, ''));
      const urlSafe = fromBase64(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
      const same = (b: Uint8Array) => b.length === bytes.length && b.every((v, i) => v === bytes[i]);
      return { text, roundTrip: same(back) && same(unpadded) && same(urlSafe) };
    });
    const refused = ['a', 'ab=c', 'ab c', ' abcd', '====', 'abc===', 'é', 'ab\ncd'].map((bad) => {
      try {
        fromBase64(bad);
        return `${bad}: accepted`;
      } catch (e) {
        return e instanceof TypeError ? 'refused' : `${bad}: ${String(e)}`;
      }
    });
    return { native, encoded, refused };
  }, lengths);
  expect(seen.native).toBe(true);
  for (const [i, length] of lengths.entries()) {
    const bytes = new Uint8Array(length).map((_, j) => (j * 131 + (j >> 8)) & 0xff);
    expect(seen.encoded[i]).toEqual({ text: Buffer.from(bytes).toString('base64'), roundTrip: true });
  }
  expect(seen.refused).toEqual(Array(8).fill('refused'));
});
