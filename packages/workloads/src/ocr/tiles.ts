// Detection over a page larger than the detector's canvas: the page, scaled so that its text keeps a readable
// height, cut into overlapping DET_SIZE tiles (each one detection unit, as a small page is), and the tiles'
// boxes merged back into the page's lines. Browser-safe and deterministic, like the rest of the researcher's side.
import { type MapGeometry, extractBoxes, readingOrder } from './boxes';
import { type Box, blankImage, type GreyImage, paste, resize } from './image';
import { DET_POOL, DET_SIZE } from './surgery';

/**
 * A tiled page is scaled so that its longer side is at most this many pixels (never enlarged): an A4 page at
 * 2048 px has 10 pt type about 24 px high, the size the detector reads well (the rendered 640 px pages of
 * `npm run bench:ocr` have 20 px type). A 150 dpi A4 scan is tiled at its own size; 300 and 600 dpi are shrunk.
 */
export const DET_MAX_SIDE = 2048;
/**
 * Neighbouring tiles share this many canvas pixels, so that every line shorter than this lies whole in one
 * tile's height; a box that a tile cuts at its top or bottom edge is left to the tile that holds the line whole.
 */
export const DET_TILE_OVERLAP = 160;

export interface DetectionTile {
  /** The tile's canvas, DET_SIZE × DET_SIZE grey pixels: one detection unit's input. */
  readonly input: Uint8Array;
  /** The part of the page it shows, in the page's pixels. */
  readonly region: Box;
  /** Canvas pixels per page pixel. */
  readonly scale: number;
}

/** The page fitted into the DET_SIZE square canvas (shrunk or grown to fit, top-left, white around it): one unit. */
export function detectionInput(page: GreyImage): { input: Uint8Array; scale: number } {
  const scale = Math.min(DET_SIZE / page.width, DET_SIZE / page.height);
  const canvas = blankImage(DET_SIZE, DET_SIZE);
  const w = Math.max(1, Math.min(DET_SIZE, Math.round(page.width * scale)));
  const h = Math.max(1, Math.min(DET_SIZE, Math.round(page.height * scale)));
  paste(canvas, resize(page, w, h), 0, 0);
  return { input: canvas.data, scale };
}

/** Where tiles of `size` start along a side of `length`, evenly spread, neighbours sharing ≥ `overlap`. */
export function tileStarts(length: number, size: number, overlap: number): number[] {
  if (length <= size) return [0];
  const n = Math.ceil((length - overlap) / (size - overlap));
  return Array.from({ length: n }, (_, i) => Math.round((i * (length - size)) / (n - 1)));
}

/**
 * The page's detection units. A page up to DET_SIZE on its longer side is one unit, fitted into the canvas
 * (grown if smaller, top-left, white around it): DBNet reads such a page whole. A larger one is scaled to at
 * most DET_MAX_SIDE and cut into overlapping tiles, so small text on a full-page scan keeps its size.
 */
export function detectionTiles(page: GreyImage): DetectionTile[] {
  const longer = Math.max(page.width, page.height);
  if (longer <= DET_SIZE) {
    const { input, scale } = detectionInput(page);
    return [{ input, region: { x0: 0, y0: 0, x1: page.width, y1: page.height }, scale }];
  }
  const scale = Math.min(1, DET_MAX_SIDE / longer);
  const scaled =
    scale === 1
      ? page
      : resize(page, Math.max(1, Math.round(page.width * scale)), Math.max(1, Math.round(page.height * scale)));
  const tiles: DetectionTile[] = [];
  for (const y of tileStarts(scaled.height, DET_SIZE, DET_TILE_OVERLAP))
    for (const x of tileStarts(scaled.width, DET_SIZE, DET_TILE_OVERLAP)) {
      const w = Math.min(DET_SIZE, scaled.width - x);
      const h = Math.min(DET_SIZE, scaled.height - y);
      const canvas = blankImage(DET_SIZE, DET_SIZE);
      paste(canvas, resize(scaled, w, h, { x0: x, y0: y, x1: x + w, y1: y + h }), 0, 0);
      const region = {
        x0: Math.floor(x / scale),
        y0: Math.floor(y / scale),
        x1: Math.min(page.width, Math.ceil((x + w) / scale)),
        y1: Math.min(page.height, Math.ceil((y + h) / scale)),
      };
      tiles.push({ input: canvas.data, region, scale });
    }
  return tiles;
}

/** Cells in a detection unit's output: the canvas max-pooled DET_POOL × DET_POOL. */
export const DET_OUTPUT_CELLS = (DET_SIZE / DET_POOL) ** 2;

/** A detection unit's validated output (the pooled map, f32 little-endian) → its probabilities, or why not. */
export function detectionMap(output: Uint8Array): Float32Array {
  if (output.length !== DET_OUTPUT_CELLS * 4)
    throw new Error(`a detection result is ${DET_OUTPUT_CELLS * 4} bytes, not ${output.length}`);
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  const prob = new Float32Array(DET_OUTPUT_CELLS);
  for (let i = 0; i < prob.length; i++) prob[i] = view.getFloat32(i * 4, true);
  return prob;
}

/**
 * The page's line boxes from its tiles' validated outputs (`undefined` for a tile whose unit failed: its part
 * of the page goes unread), in reading order. One tile's boxes are DB's as they are. With several, a box cut by
 * a tile's inner top or bottom edge is dropped (the overlap holds that line whole in the neighbouring tile), and
 * boxes of different tiles that overlap, sharing at least half the height of the lower one, are one line's
 * pieces and become one box: a line wider than a tile is joined again.
 */
export function tiledPageBoxes(
  outputs: readonly (Uint8Array | undefined)[],
  tiles: readonly DetectionTile[],
  page: { width: number; height: number },
): Box[] {
  const side = DET_SIZE / DET_POOL;
  const found: { box: Box; tile: number }[] = [];
  tiles.forEach((tile, t) => {
    const output = outputs[t];
    if (!output) return;
    const geometry: MapGeometry = {
      cols: side,
      rows: side,
      cellPixels: DET_POOL / tile.scale,
      pageWidth: page.width,
      pageHeight: page.height,
      left: tile.region.x0,
      top: tile.region.y0,
    };
    for (const box of extractBoxes(detectionMap(output), geometry)) {
      // Within a cell of the edge counts: the box's edge was clipped there.
      const cell = DET_POOL / tile.scale;
      const cutAbove = tile.region.y0 > 0 && box.y0 <= tile.region.y0 + cell;
      const cutBelow = tile.region.y1 < page.height && box.y1 >= tile.region.y1 - cell;
      if (tiles.length === 1 || !(cutAbove || cutBelow)) found.push({ box, tile: t });
    }
  });
  return readingOrder(mergeAcrossTiles(found));
}

const sameLine = (a: Box, b: Box): boolean => {
  const shared = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return Math.min(a.x1, b.x1) > Math.max(a.x0, b.x0) && shared >= Math.min(a.y1 - a.y0, b.y1 - b.y0) / 2;
};

/** Unions boxes of different tiles that are one line's pieces (transitively), each group to its bounding box. */
function mergeAcrossTiles(found: readonly { box: Box; tile: number }[]): Box[] {
  const parent = found.map((_, i) => i);
  const root = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] as number;
    return r;
  };
  for (let i = 0; i < found.length; i++)
    for (let j = i + 1; j < found.length; j++) {
      const [a, b] = [found[i], found[j]] as [(typeof found)[number], (typeof found)[number]];
      if (a.tile !== b.tile && sameLine(a.box, b.box)) parent[root(j)] = root(i);
    }
  const groups = new Map<number, Box>();
  found.forEach(({ box }, i) => {
    const r = root(i);
    const g = groups.get(r);
    groups.set(
      r,
      g
        ? {
            x0: Math.min(g.x0, box.x0),
            y0: Math.min(g.y0, box.y0),
            x1: Math.max(g.x1, box.x1),
            y1: Math.max(g.y1, box.y1),
          }
        : box,
    );
  });
  return [...groups.values()];
}
