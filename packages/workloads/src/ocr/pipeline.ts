// What happens on the researcher's side of each stage, as pure functions over grey pixels: a page → the
// detection unit's input; the validated probability map → line boxes → recognition units' inputs; their
// validated class indices → text. Browser-safe; the CLI (and the bench) call them.
import { extractBoxes } from './boxes';
import { ctcDecode } from './ctc';
import { type Box, blankImage, type GreyImage, paste, resize, WHITE } from './image';
import { DET_POOL, DET_SIZE, REC_BATCH, REC_HEIGHT, REC_STEPS, REC_WIDTH } from './surgery';

/** The page fitted into the DET_SIZE square canvas (shrunk or grown to fit, top-left, white around it). */
export function detectionInput(page: GreyImage): { input: Uint8Array; scale: number } {
  const scale = Math.min(DET_SIZE / page.width, DET_SIZE / page.height);
  const canvas = blankImage(DET_SIZE, DET_SIZE);
  const w = Math.max(1, Math.min(DET_SIZE, Math.round(page.width * scale)));
  const h = Math.max(1, Math.min(DET_SIZE, Math.round(page.height * scale)));
  paste(canvas, resize(page, w, h), 0, 0);
  return { input: canvas.data, scale };
}

export const DET_OUTPUT_CELLS = (DET_SIZE / DET_POOL) ** 2;

/** A detection unit's validated output (the pooled map, f32 little-endian) → the page's line boxes. */
export function pageBoxes(output: Uint8Array, page: { width: number; height: number }): Box[] {
  if (output.length !== DET_OUTPUT_CELLS * 4)
    throw new Error(`a detection result is ${DET_OUTPUT_CELLS * 4} bytes, not ${output.length}`);
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  const prob = new Float32Array(DET_OUTPUT_CELLS);
  for (let i = 0; i < prob.length; i++) prob[i] = view.getFloat32(i * 4, true);
  const scale = Math.min(DET_SIZE / page.width, DET_SIZE / page.height);
  const side = DET_SIZE / DET_POOL;
  return extractBoxes(prob, {
    cols: side,
    rows: side,
    cellPixels: DET_POOL / scale,
    pageWidth: page.width,
    pageHeight: page.height,
  });
}

/**
 * One line, cut from the page at its own resolution, as PaddleOCR feeds its recogniser: REC_HEIGHT high, its
 * width in proportion (squeezed if it would pass REC_WIDTH), on the left, white to the right.
 */
export function lineImage(page: GreyImage, box: Box): GreyImage {
  const ratio = (box.x1 - box.x0) / (box.y1 - box.y0);
  const width = Math.max(1, Math.min(REC_WIDTH, Math.ceil(REC_HEIGHT * ratio)));
  const line = blankImage(REC_WIDTH, REC_HEIGHT, WHITE);
  paste(line, resize(page, width, REC_HEIGHT, box), 0, 0);
  return line;
}

/** Line images → recognition inputs of REC_BATCH lines each (the last one filled with white lines). */
export function recognitionInputs(lines: readonly GreyImage[]): Uint8Array[] {
  const size = REC_HEIGHT * REC_WIDTH;
  const units: Uint8Array[] = [];
  for (let first = 0; first < lines.length; first += REC_BATCH) {
    const input = new Uint8Array(size * REC_BATCH).fill(WHITE);
    lines.slice(first, first + REC_BATCH).forEach((line, i) => {
      input.set(line.data, i * size);
    });
    units.push(input);
  }
  return units;
}

/** A recognition unit's validated output (int32 class indices, REC_STEPS a line) → its lines' text. */
export function decodeRecognition(output: Uint8Array, alphabet: readonly string[]): string[] {
  if (output.length !== REC_BATCH * REC_STEPS * 4)
    throw new Error(`a recognition result is ${REC_BATCH * REC_STEPS * 4} bytes, not ${output.length}`);
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  const lines: string[] = [];
  for (let line = 0; line < REC_BATCH; line++) {
    const classes = Array.from({ length: REC_STEPS }, (_, t) => view.getInt32((line * REC_STEPS + t) * 4, true));
    lines.push(ctcDecode(classes, alphabet));
  }
  return lines;
}
