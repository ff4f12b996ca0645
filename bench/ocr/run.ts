// `npm run bench:ocr`: the OCR pipeline's accuracy against rendered ground truth, in Node on onnxruntime-web's
// wasm EP (the volunteers' code path for the models, without the grid around it): pages of known English text
// drawn by ImageMagick (DejaVu Sans), detection (tiled on a large page) → boxes → line pieces → recognition →
// CTC text, character error rate over every line. `--set pages` (default: 640 px pages of 10 lines of 20 px
// type), `a4` (A4 at 150 dpi, 45 lines of 10 pt) or `long` (images of 12 lines of 120–140 characters);
// `--pages N` (default 24, 3 for a4 and long), `--seed S`; `--json` ends with one JSON line.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  cerOfPage,
  DET_SIZE,
  decodePng,
  DETECTION_GRAPH_OPTIMIZATION,
  REC_BATCH,
  REC_HEIGHT,
  REC_WIDTH,
  readPage,
  sumCer,
  textLines,
} from '@bricolage/workloads';
import { loadOcrModels, nodeZlib, type RenderedPage, renderPage, renderText } from '@bricolage/workloads/node';
import * as ort from 'onnxruntime-web';

const { values: args } = parseArgs({
  options: {
    set: { type: 'string', default: 'pages' },
    pages: { type: 'string' },
    seed: { type: 'string', default: '18' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => (args.json ? console.error(line) : console.log(line));
const seed = Number(args.seed);
const sets: Record<string, { describe: string; count: number; page: (i: number) => RenderedPage }> = {
  pages: { describe: '640 × 640 pages, 10 lines of 20 px type', count: 24, page: (i) => renderPage(seed, i) },
  a4: {
    describe: 'A4 pages at 150 dpi (1240 × 1754), 45 lines of 10 pt type',
    count: 3,
    page: (i) =>
      renderText(textLines(seed * 7919 + i, 45, 80), {
        width: 1240,
        height: 1754,
        pointSize: 10,
        dpi: 150,
        margin: 110,
        linePitch: 31,
      }),
  },
  long: {
    describe: '1700 × 780 images, 12 lines of 120–140 characters of 20 px type',
    count: 3,
    page: (i) =>
      renderText(textLines(seed * 7919 + i, 12, 140), {
        width: 1700,
        height: 780,
        pointSize: 20,
        dpi: 72,
        margin: 30,
        linePitch: 60,
      }),
  },
};
const set = sets[args.set];
if (!set) throw new Error(`--set is one of ${Object.keys(sets).join(', ')}`);
const pages = Number(args.pages ?? set.count);

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const models = loadOcrModels();
const t0 = performance.now();
const det = await ort.InferenceSession.create(models.detection, {
  executionProviders: ['wasm'],
  graphOptimizationLevel: DETECTION_GRAPH_OPTIMIZATION,
});
const rec = await ort.InferenceSession.create(models.recognition, {
  executionProviders: ['wasm'],
  graphOptimizationLevel: 'all',
});
const sessionMs = performance.now() - t0;

const bytes = (tensor: ort.Tensor | undefined): Uint8Array => {
  const data = tensor?.data as Float32Array | Int32Array;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
};
const time = { det: 0, rec: 0, detUnits: 0, recUnits: 0 };
const run = {
  detect: async (input: Uint8Array) => {
    const t = performance.now();
    const out = await det.run({ image: new ort.Tensor('uint8', input, [1, DET_SIZE, DET_SIZE]) });
    [time.det, time.detUnits] = [time.det + performance.now() - t, time.detUnits + 1];
    return bytes(out.prob);
  },
  recognise: async (input: Uint8Array) => {
    const t = performance.now();
    const out = await rec.run({ image: new ort.Tensor('uint8', input, [REC_BATCH, REC_HEIGHT, REC_WIDTH]) });
    [time.rec, time.recUnits] = [time.rec + performance.now() - t, time.recUnits + 1];
    return bytes(out.classes);
  },
};

const tallies = [];
const worst: { truth: string; read: string }[] = [];
for (let p = 0; p < pages; p++) {
  const rendered = set.page(p);
  const decoded = decodePng(rendered.png, nodeZlib, 1e8);
  if (!decoded.ok) throw new Error(decoded.error.message);
  const { boxes, lines } = await readPage(decoded.image, run, models.alphabet);
  const tally = cerOfPage(lines, rendered.lines);
  tallies.push(tally);
  if (tally.errors > 0)
    rendered.lines.forEach((truth, i) => {
      if (lines[i] !== truth) worst.push({ truth, read: lines[i] ?? '(missing)' });
    });
  log(
    `page ${p}: ${boxes.length} boxes for ${rendered.lines.length} lines, ${tally.errors} errors in ${tally.characters} characters`,
  );
}
const total = sumCer(tallies);
const cer = total.errors / total.characters;
log(
  `\nOCR on ${pages} rendered ${set.describe}: ${total.lines} lines, ${total.characters} characters (seed ${seed}), onnxruntime-web wasm EP, 1 thread, Node`,
);
log(`  character error rate: ${(cer * 100).toFixed(2)} % (${total.errors} edits)`);
log(
  `  sessions created: ${sessionMs.toFixed(0)} ms; detection ${time.detUnits} units, ${(time.det / time.detUnits).toFixed(0)} ms/unit; recognition ${time.recUnits} units, ${(time.rec / time.recUnits).toFixed(0)} ms/unit of ${REC_BATCH} lines`,
);
log(
  `  load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const w of worst.slice(0, 10)) log(`  truth ${JSON.stringify(w.truth)}\n  read  ${JSON.stringify(w.read)}`);
if (args.json)
  console.log(
    JSON.stringify({
      set: args.set,
      pages,
      lines: total.lines,
      characters: total.characters,
      errors: total.errors,
      cer,
      sessionMs: Math.round(sessionMs),
      detectionUnits: time.detUnits,
      detectionMsPerUnit: Math.round(time.det / time.detUnits),
      recognitionUnits: time.recUnits,
      recognitionMsPerUnit: Math.round(time.rec / time.recUnits),
    }),
  );
