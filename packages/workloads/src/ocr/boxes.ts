// The detector's post-processing, on the researcher's side: the validated, pooled probability map → line
// boxes in the page's coordinates. DB's own rule (threshold, connected regions, unclip) on axis-aligned boxes:
// pages of horizontal text. Browser-safe and deterministic, so every replica's agreed map gives the same boxes.
import type { Box } from './image';

/** PaddleOCR's defaults for DB: a cell is text above 0.3; a region is kept when its mean is above 0.6. */
export const DB_THRESHOLD = 0.3;
export const DB_BOX_THRESHOLD = 0.6;
/** DB's unclip ratio: the detector predicts shrunk text regions, grown back by area × ratio / perimeter. */
export const DB_UNCLIP = 1.0;

export interface MapGeometry {
  /** The probability map's width and height in cells. */
  readonly cols: number;
  readonly rows: number;
  /** Page pixels per map cell (the canvas's scale and the pooling together). */
  readonly cellPixels: number;
  /** The page's size, to clip boxes to. */
  readonly pageWidth: number;
  readonly pageHeight: number;
  /** Where the map's first cell lies on the page, in its pixels (a tile of a larger page); 0 when absent. */
  readonly left?: number;
  readonly top?: number;
}

/** Line boxes in the page's pixels, clipped to the part of the page the map covers; in reading order. */
export function extractBoxes(prob: Float32Array, g: MapGeometry): Box[] {
  const { cols, rows } = g;
  const [left, top] = [g.left ?? 0, g.top ?? 0];
  const right = Math.min(g.pageWidth, left + cols * g.cellPixels);
  const bottom = Math.min(g.pageHeight, top + rows * g.cellPixels);
  const label = new Int32Array(cols * rows).fill(-1);
  const boxes: Box[] = [];
  const stack: number[] = [];
  for (let start = 0; start < cols * rows; start++) {
    if (label[start] !== -1 || (prob[start] as number) <= DB_THRESHOLD) continue;
    let [minX, minY, maxX, maxY, count, sum] = [cols, rows, -1, -1, 0, 0];
    label[start] = start;
    stack.push(start);
    while (stack.length > 0) {
      const cell = stack.pop() as number;
      const x = cell % cols;
      const y = (cell - x) / cols;
      [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
      count++;
      sum += prob[cell] as number;
      for (const [nx, ny] of [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
        [x, y + 1],
      ] as const) {
        if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue;
        const n = ny * cols + nx;
        if (label[n] === -1 && (prob[n] as number) > DB_THRESHOLD) {
          label[n] = start;
          stack.push(n);
        }
      }
    }
    // Specks: DB's min_size is 3 pixels of the full map; a pooled cell is already DET_POOL of them.
    if (count < 2 || sum / count < DB_BOX_THRESHOLD) continue;
    const w = (maxX - minX + 1) * g.cellPixels;
    const h = (maxY - minY + 1) * g.cellPixels;
    const grow = (w * h * DB_UNCLIP) / (2 * (w + h));
    const x0 = Math.max(left, Math.floor(left + minX * g.cellPixels - grow));
    const y0 = Math.max(top, Math.floor(top + minY * g.cellPixels - grow));
    const x1 = Math.min(right, Math.ceil(left + (maxX + 1) * g.cellPixels + grow));
    const y1 = Math.min(bottom, Math.ceil(top + (maxY + 1) * g.cellPixels + grow));
    if (x1 - x0 >= 2 && y1 - y0 >= 2) boxes.push({ x0, y0, x1, y1 });
  }
  return readingOrder(boxes);
}

/** Boxes in reading order: by line (vertical centres within half a box of each other), then across. */
export function readingOrder(unordered: readonly Box[]): Box[] {
  const boxes = [...unordered];
  boxes.sort((a, b) => (a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2);
  const lines: Box[][] = [];
  for (const box of boxes) {
    const line = lines.at(-1);
    const first = line?.[0];
    if (line && first && Math.abs((box.y0 + box.y1) / 2 - (first.y0 + first.y1) / 2) < (first.y1 - first.y0) / 2)
      line.push(box);
    else lines.push([box]);
  }
  return lines.flatMap((line) => line.sort((a, b) => a.x0 - b.x0));
}
