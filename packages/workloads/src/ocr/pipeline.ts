// What happens on the researcher's side of each stage, as pure functions over grey pixels: a page → the
// detection units' inputs (tiles.ts for a large page); the validated probability maps → line boxes → line
// pieces (pieces.ts) → recognition units' inputs; their validated class indices → text. Browser-safe; the CLI
// (and the bench) call them.
import { ctcDecode } from './ctc';
import { type Box, type GreyImage, WHITE } from './image';
import { type LinePiece, linePieces, readLine } from './pieces';
import { REC_BATCH, REC_HEIGHT, REC_STEPS, REC_WIDTH } from './surgery';
import { detectionTiles, tiledPageBoxes } from './tiles';

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

/** A recognition unit's validated output (int32 class indices, REC_STEPS a line) → each line's indices. */
export function recognitionClasses(output: Uint8Array): Int32Array[] {
  if (output.length !== REC_BATCH * REC_STEPS * 4)
    throw new Error(`a recognition result is ${REC_BATCH * REC_STEPS * 4} bytes, not ${output.length}`);
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  return Array.from({ length: REC_BATCH }, (_, line) =>
    Int32Array.from({ length: REC_STEPS }, (_, t) => view.getInt32((line * REC_STEPS + t) * 4, true)),
  );
}

/** A recognition unit's validated output → its lines' text, each line read on its own. */
export const decodeRecognition = (output: Uint8Array, alphabet: readonly string[]): string[] =>
  recognitionClasses(output).map((classes) => ctcDecode(classes, alphabet));

/** The recognition stage for some lines: its units' inputs, and where each line's pieces went. */
export interface RecognitionPlan {
  /** The units' inputs: every line's pieces in order, REC_BATCH a unit. */
  readonly units: Uint8Array[];
  /** Per line: the index of its first piece among all pieces, the units its pieces are in, and how to join them. */
  readonly lines: readonly {
    readonly first: number;
    readonly units: readonly number[];
    readonly pieces: readonly Omit<LinePiece, 'image'>[];
  }[];
}

/** Line boxes, each on its page → the recognition units that read them (a long line as several pieces). */
export function recognitionPlan(lines: readonly { readonly page: GreyImage; readonly box: Box }[]): RecognitionPlan {
  const images: GreyImage[] = [];
  const placed = lines.map(({ page, box }) => {
    const pieces = linePieces(page, box);
    const first = images.length;
    images.push(...pieces.map((p) => p.image));
    const units = [...new Set(pieces.map((_, k) => Math.floor((first + k) / REC_BATCH)))];
    return { first, units, pieces: pieces.map(({ offset, from, to }) => ({ offset, from, to })) };
  });
  return { units: recognitionInputs(images), lines: placed };
}

/** Each line's text from the plan's units' validated outputs; null for a line a unit of which has no output. */
export function planTexts(
  plan: RecognitionPlan,
  outputs: readonly (Uint8Array | undefined)[],
  alphabet: readonly string[],
): (string | null)[] {
  const classes = outputs.map((output) => (output ? recognitionClasses(output) : undefined));
  return plan.lines.map(({ first, pieces }) => {
    const own = pieces.map((_, k) => classes[Math.floor((first + k) / REC_BATCH)]?.[(first + k) % REC_BATCH]);
    return own.every((c) => c !== undefined) ? readLine(pieces, own as Int32Array[], alphabet) : null;
  });
}

/** Runs a unit's input through a stage's model and returns its output bytes (the bench and tests, in Node). */
export interface OcrRunner {
  detect(input: Uint8Array): Promise<Uint8Array>;
  recognise(input: Uint8Array): Promise<Uint8Array>;
}

/** One page through both stages as the CLI takes it through the grid, with `run` in the volunteers' place. */
export async function readPage(
  page: GreyImage,
  run: OcrRunner,
  alphabet: readonly string[],
): Promise<{ boxes: Box[]; lines: string[]; detectionUnits: number; recognitionUnits: number }> {
  const tiles = detectionTiles(page);
  const maps: Uint8Array[] = [];
  for (const tile of tiles) maps.push(await run.detect(tile.input));
  const boxes = tiledPageBoxes(maps, tiles, page);
  const plan = recognitionPlan(boxes.map((box) => ({ page, box })));
  const outputs: Uint8Array[] = [];
  for (const unit of plan.units) outputs.push(await run.recognise(unit));
  const lines = planTexts(plan, outputs, alphabet).map((text) => text ?? '');
  return { boxes, lines, detectionUnits: tiles.length, recognitionUnits: plan.units.length };
}
