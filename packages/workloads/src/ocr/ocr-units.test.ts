// The researcher-side steps of the OCR pipeline, each on inputs whose answer is known.
import { describe, expect, test } from 'vitest';
import { extractBoxes } from './boxes';
import { cerOfPage, editDistance } from './cer';
import { ctcDecode } from './ctc';
import { textLines } from './corpus';
import { blankImage } from './image';
import { decodePageImage } from './page-image';
import { decodePng, encodePng } from './png';
import { LONG_LINE_SQUEEZE, lineImage, linePieces, PIECE_CONTEXT, readLine } from './pieces';
import { decodeRecognition, recognitionInputs, recognitionPlan } from './pipeline';
import { DET_POOL, DET_SIZE, REC_BATCH, REC_HEIGHT, REC_STEPS, REC_WIDTH } from './surgery';
import { DET_TILE_OVERLAP, detectionInput, detectionTiles, tiledPageBoxes, tileStarts } from './tiles';
import { nodeZlib } from './node-zlib';

describe('PNG', () => {
  test('a grey image survives encode and decode byte for byte', () => {
    const image = { width: 37, height: 5, data: Uint8Array.from({ length: 185 }, (_, i) => (i * 7) % 256) };
    const decoded = decodePng(encodePng(image, nodeZlib), nodeZlib, 1e6);
    expect(decoded).toEqual({ ok: true, image });
  });

  test('bytes that are neither PNG nor JPEG are refused as not_an_image, saying what was expected', () => {
    expect(decodePageImage(new TextEncoder().encode('{"input": "AAAA"}'), nodeZlib, 1e6)).toMatchObject({
      ok: false,
      error: { code: 'not_an_image', message: expect.stringMatching(/not a PNG or JPEG image/) },
    });
    // A JPEG's first bytes and nothing after them: no frame to read.
    expect(decodePageImage(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0), nodeZlib, 1e6)).toMatchObject({
      ok: false,
      error: { code: 'not_an_image', message: expect.stringMatching(/JPEG without a readable frame header/) },
    });
  });

  test('an image with more pixels than allowed is refused from its header, before inflating', () => {
    const png = encodePng(blankImage(300, 200), nodeZlib);
    expect(decodePng(png, nodeZlib, 300 * 200)).toMatchObject({ ok: true });
    const refused = decodePng(png, nodeZlib, 300 * 200 - 1);
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'image_too_large', message: expect.stringMatching(/300×200/) },
    });
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

describe('detection tiles', () => {
  test('tiles cover a side with neighbours sharing at least the overlap', () => {
    expect(tileStarts(600, DET_SIZE, DET_TILE_OVERLAP)).toEqual([0]);
    const starts = tileStarts(1754, DET_SIZE, DET_TILE_OVERLAP);
    expect(starts).toEqual([0, 371, 743, 1114]);
    expect(starts.at(-1)).toBe(1754 - DET_SIZE);
    for (let i = 1; i < starts.length; i++)
      expect((starts[i - 1] as number) + DET_SIZE - (starts[i] as number)).toBeGreaterThanOrEqual(DET_TILE_OVERLAP);
  });

  test('a page up to the canvas is one unit, fitted as before; an A4 page at 150 dpi is 12 tiles at its own size', () => {
    const small = blankImage(640, 400, 0);
    const [only, ...rest] = detectionTiles(small);
    expect(rest).toHaveLength(0);
    expect(only?.input).toEqual(detectionInput(small).input);
    const tiles = detectionTiles(blankImage(1240, 1754));
    expect(tiles).toHaveLength(12);
    expect(tiles.every((t) => t.scale === 1 && t.input.length === DET_SIZE * DET_SIZE)).toBe(true);
    expect(tiles.at(-1)?.region).toEqual({ x0: 600, y0: 1114, x1: 1240, y1: 1754 });
    // A page longer than DET_MAX_SIDE (here a 600 dpi strip of A4's height) is shrunk to it before it is cut.
    expect(detectionTiles(blankImage(300, 7016))[0]?.scale).toBeCloseTo(2048 / 7016, 6);
  });

  /** A pooled map with text cells in [x0, x1) × [y0, y1) (cells), as a detection unit returns it. */
  const map = (...rects: [number, number, number, number][]): Uint8Array => {
    const side = DET_SIZE / DET_POOL;
    const prob = new Float32Array(side * side);
    for (const [x0, x1, y0, y1] of rects)
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * side + x] = 0.9;
    return new Uint8Array(prob.buffer);
  };

  test('a line across two tiles becomes one box; a line cut by a tile edge is taken from the tile that holds it', () => {
    const page = { width: 1000, height: 1000 };
    const tiles = detectionTiles(blankImage(page.width, page.height));
    expect(tiles.map((t) => [t.region.x0, t.region.y0])).toEqual([
      [0, 0],
      [360, 0],
      [0, 360],
      [360, 360],
    ]);
    const boxes = tiledPageBoxes(
      [
        // Tile 1: a line from x 40 to its right edge at y 100–112, and the top of a line its bottom edge cuts
        // (y 620–640, which would pull the line's box up to 611 if it were kept).
        map([10, 160, 25, 28], [10, 100, 155, 160]),
        // Tile 2 (from x 360): the same line's end, x 360–900.
        map([0, 135, 25, 28]),
        // Tile 3 (from y 360): the cut line whole, at y 632–648 of the page (624–656 grown).
        map([10, 100, 68, 72]),
        undefined, // a tile whose unit failed: its part of the page goes unread
      ],
      tiles,
      page,
    );
    expect(boxes).toHaveLength(2);
    const [line, whole] = boxes;
    expect(line?.x0).toBeLessThan(40);
    expect(line?.x1).toBeGreaterThan(900);
    expect(whole?.y0).toBeGreaterThan(620);
    expect(whole?.y1).toBeLessThan(660);
  });
});

describe('long lines', () => {
  // A line 48 px high and 3,000 px wide: black words of 90 px with 30 px gaps, so cuts have gaps to fall into.
  const page = { width: 3000, height: 48, data: new Uint8Array(3000 * 48).fill(255) };
  for (let y = 10; y < 38; y++) for (let x = 0; x < 3000; x++) if (x % 120 < 90) page.data[y * 3000 + x] = 0;
  const box = { x0: 0, y0: 0, x1: 3000, y1: 48 };

  test('a line wider than the recogniser is cut into overlapping pieces, each cut in a gap, nothing squeezed away', () => {
    expect(linePieces(page, { x0: 0, y0: 0, x1: 600, y1: 48 })).toHaveLength(1);
    const pieces = linePieces(page, box);
    expect(pieces.length).toBeGreaterThan(3);
    pieces.forEach((piece, i) => {
      expect([piece.image.width, piece.image.height]).toEqual([REC_WIDTH, REC_HEIGHT]);
      if (i === 0) return;
      const before = pieces[i - 1];
      expect(piece.from).toBe(before?.to);
      expect(piece.offset).toBe(piece.from - PIECE_CONTEXT);
    });
    // Narrowed to LONG_LINE_SQUEEZE, a word and its gap are 96 px, the gap the last 24 of them: every cut is in
    // one, and the last piece reaches the line's end.
    for (const piece of pieces.slice(1)) expect(piece.from % 96).toBeGreaterThanOrEqual(72);
    expect((pieces.at(-1)?.offset ?? 0) + REC_WIDTH).toBeGreaterThanOrEqual(3000 * LONG_LINE_SQUEEZE);
  });

  test('pieces read a character in their overlap once, and keep a space either one read at the cut', () => {
    const alphabet = ['a', 'b', 'c'];
    const space = alphabet.length + 1;
    const steps = (symbols: [number, number][]) => {
      const classes = new Int32Array(REC_STEPS);
      for (const [step, c] of symbols) classes[step] = c;
      return classes;
    };
    // The cut at 400 px of the line; the second piece starts at 352 (step t of it is at 352 + 8t + 4).
    const pieces = [
      { offset: 0, from: -Infinity, to: 400 },
      { offset: 352, from: 400, to: Infinity },
    ];
    // The first piece reads "a" at 100 px, "b" at 300, a space at 404 (past the cut: the second piece missed it)
    // and "c" at 420; the second reads the same "c" at 420, then "a" at 516.
    const first = steps([
      [12, 1],
      [37, 2],
      [50, space],
      [52, 3],
    ]);
    const second = steps([
      [8, 3],
      [20, 1],
    ]);
    expect(readLine(pieces, [first, second], alphabet)).toBe('ab ca');
    // Without a space near the cut, the two sides join as one word.
    expect(
      readLine(
        pieces,
        [
          steps([
            [12, 1],
            [37, 2],
          ]),
          second,
        ],
        alphabet,
      ),
    ).toBe('abca');
  });

  test("a plan puts every line's pieces in order into units of REC_BATCH and knows which units each line needs", () => {
    const plan = recognitionPlan([
      { page, box },
      { page, box: { x0: 0, y0: 0, x1: 300, y1: 48 } },
    ]);
    const long = plan.lines[0];
    const short = plan.lines[1];
    expect(short?.first).toBe(long?.pieces.length);
    expect(short?.pieces).toHaveLength(1);
    expect(plan.units).toHaveLength(Math.ceil(((long?.pieces.length ?? 0) + 1) / REC_BATCH));
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
