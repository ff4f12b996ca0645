// The researcher-side steps of the OCR pipeline, each on inputs whose answer is known.
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { extractBoxes } from './boxes';
import { cerOfPage, editDistance } from './cer';
import { ctcDecode } from './ctc';
import { textLines } from './corpus';
import { blankImage } from './image';
import { decodePageImage } from './page-image';
import { decodePng, encodePng } from './png';
import { decodeRecognition, detectionInput, lineImage, recognitionInputs } from './pipeline';
import { DET_SIZE, REC_BATCH, REC_HEIGHT, REC_STEPS, REC_WIDTH } from './surgery';

const zlib = { inflate: (b: Uint8Array) => inflateSync(b), deflate: (b: Uint8Array) => deflateSync(b) };

describe('PNG', () => {
  test('a grey image survives encode and decode byte for byte', () => {
    const image = { width: 37, height: 5, data: Uint8Array.from({ length: 185 }, (_, i) => (i * 7) % 256) };
    const decoded = decodePng(encodePng(image, zlib), zlib, 1e6);
    expect(decoded).toEqual({ ok: true, image });
  });

  test('bytes that are neither PNG nor JPEG are refused as not_an_image, saying what was expected', () => {
    expect(decodePageImage(new TextEncoder().encode('{"input": "AAAA"}'), zlib, 1e6)).toMatchObject({
      ok: false,
      error: { code: 'not_an_image', message: /not a PNG or JPEG image/ },
    });
    // A JPEG's first bytes and nothing after them: no frame to read.
    expect(decodePageImage(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0), zlib, 1e6)).toMatchObject({
      ok: false,
      error: { code: 'not_an_image', message: /JPEG without a readable frame header/ },
    });
  });

  test('an image with more pixels than allowed is refused from its header, before inflating', () => {
    const png = encodePng(blankImage(300, 200), zlib);
    expect(decodePng(png, zlib, 300 * 200)).toMatchObject({ ok: true });
    const refused = decodePng(png, zlib, 300 * 200 - 1);
    expect(refused).toMatchObject({ ok: false, error: { code: 'image_too_large', message: /300×200/ } });
  });
});

describe('CTC decoding', () => {
  const alphabet = ['a', 'b', '，'];
  test('collapses repeats, drops blanks, maps the class after the alphabet to a space, folds full-width marks', () => {
    expect(ctcDecode([0, 1, 1, 0, 1, 2, 4, 4, 0, 2, 3, 0], alphabet)).toBe('aab b,');
  });
  test('a recognition output decodes line by line', () => {
    const out = new Int32Array(REC_BATCH * REC_STEPS);
    out.set([1, 0, 2], 0);
    out.set([2, 2, 2], REC_STEPS);
    const lines = decodeRecognition(new Uint8Array(out.buffer), alphabet);
    expect(lines.slice(0, 3)).toEqual(['ab', 'b', '']);
  });
});

describe('character error rate', () => {
  test('edit distance counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
  test('a missing line costs its characters and the line break', () => {
    expect(cerOfPage(['one', 'three'], ['one', 'two', 'three'])).toEqual({ errors: 4, characters: 13, lines: 3 });
  });
});

describe('box extraction', () => {
  test('two separate regions of a map become two boxes, in reading order, in page pixels', () => {
    const cols = 40;
    const rows = 20;
    const prob = new Float32Array(cols * rows);
    const fill = (x0: number, x1: number, y0: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * cols + x] = 0.9;
    };
    fill(2, 30, 12, 14); // the lower line first, to see the order come out right
    fill(2, 20, 4, 6);
    prob[0] = 0.95; // a speck, dropped
    const boxes = extractBoxes(prob, { cols, rows, cellPixels: 4, pageWidth: 160, pageHeight: 80 });
    expect(boxes).toHaveLength(2);
    const [first, second] = boxes;
    expect(first?.y1).toBeLessThan(second?.y0 ?? 0);
    // A 72×8 px region grows by 72·8·1.0 / (2·80) = 3.6 px on each side.
    expect(first).toEqual({ x0: 4, y0: 12, x1: 84, y1: 28 });
  });
});

describe('unit inputs', () => {
  test('a page is fitted into the detection canvas, white around it', () => {
    const page = blankImage(1280, 640, 0);
    const { input, scale } = detectionInput(page);
    expect(scale).toBe(0.5);
    expect(input.length).toBe(DET_SIZE * DET_SIZE);
    expect(input[0]).toBe(0);
    expect(input[(DET_SIZE - 1) * DET_SIZE]).toBe(255);
  });
  test('lines are scaled to the recogniser height and batched, the last batch filled with white', () => {
    const page = blankImage(200, 100, 0);
    const line = lineImage(page, { x0: 0, y0: 0, x1: 100, y1: 24 });
    expect([line.width, line.height]).toEqual([REC_WIDTH, REC_HEIGHT]);
    expect(line.data[199]).toBe(0); // 100 px wide at 24 high → 200 px at 48
    expect(line.data[201]).toBe(255);
    const units = recognitionInputs(Array.from({ length: REC_BATCH + 1 }, () => line));
    expect(units).toHaveLength(2);
    expect(units[1]?.[REC_HEIGHT * REC_WIDTH]).toBe(255);
  });
});

test('the corpus is deterministic, whole words, and free of what ImageMagick would not draw as written', () => {
  const lines = textLines(5, 50);
  expect(textLines(5, 50)).toEqual(lines);
  for (const line of lines) {
    expect(line.length).toBeLessThanOrEqual(34);
    expect(line).not.toMatch(/[%@\\]|^ | $| {2}/);
  }
});
