// `npm run bench:ocr`: the OCR pipeline's accuracy against rendered ground truth, in Node on onnxruntime-web's
// wasm EP (the volunteers' code path for the models, without the grid around it): pages of known English text
// drawn by ImageMagick (DejaVu Sans), detection → boxes → line images → recognition → CTC text, character
// error rate over every line. `--pages N` (default 24, 10 lines each), `--json` ends with one JSON line.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { deflateSync, inflateSync } from 'node:zlib';
import {
  cerOfPage,
  decodePng,
  decodeRecognition,
  detectionInput,
  lineImage,
  DETECTION_GRAPH_OPTIMIZATION,
  pageBoxes,
  REC_BATCH,
  recognitionInputs,
  sumCer,
} from '@bricolage/workloads';
import { LINES_PER_PAGE, loadOcrModels, renderPage } from '@bricolage/workloads/node';
import * as ort from 'onnxruntime-web';

const { values: args } = parseArgs({
  options: {
    pages: { type: 'string', default: '24' },
    seed: { type: 'string', default: '18' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => (args.json ? console.error(line) : console.log(line));
const pages = Number(args.pages);
const seed = Number(args.seed);
const zlib = { inflate: (b: Uint8Array) => inflateSync(b), deflate: (b: Uint8Array) => deflateSync(b) };

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

const tallies = [];
let detMs = 0;
let recMs = 0;
let recUnits = 0;
const worst: { truth: string; read: string }[] = [];
for (let p = 0; p < pages; p++) {
  const rendered = renderPage(seed, p);
  const decoded = decodePng(rendered.png, zlib, 1e8);
  if (!decoded.ok) throw new Error(decoded.error.message);
  const page = decoded.image;
  const { input } = detectionInput(page);
  let t = performance.now();
  const detOut = await det.run({
    image: new ort.Tensor('uint8', input, [1, Math.sqrt(input.length), Math.sqrt(input.length)]),
  });
  detMs += performance.now() - t;
  const prob = detOut.prob?.data as Float32Array;
  const boxes = pageBoxes(new Uint8Array(prob.buffer, prob.byteOffset, prob.byteLength), page);
  const read: string[] = [];
  for (const unit of recognitionInputs(boxes.map((b) => lineImage(page, b)))) {
    t = performance.now();
    const out = await rec.run({ image: new ort.Tensor('uint8', unit, [REC_BATCH, 48, unit.length / REC_BATCH / 48]) });
    recMs += performance.now() - t;
    recUnits++;
    const classes = out.classes?.data as Int32Array;
    read.push(
      ...decodeRecognition(new Uint8Array(classes.buffer, classes.byteOffset, classes.byteLength), models.alphabet),
    );
  }
  const lines = read.slice(0, boxes.length);
  const tally = cerOfPage(lines, rendered.lines);
  tallies.push(tally);
  if (tally.errors > 0)
    rendered.lines.forEach((truth, i) => {
      if (lines[i] !== truth) worst.push({ truth, read: lines[i] ?? '(missing)' });
    });
  log(
    `page ${p}: ${boxes.length} boxes for ${LINES_PER_PAGE} lines, ${tally.errors} errors in ${tally.characters} characters`,
  );
}
const total = sumCer(tallies);
const cer = total.errors / total.characters;
log(
  `\nOCR on ${pages} rendered pages, ${total.lines} lines, ${total.characters} characters (seed ${seed}), onnxruntime-web wasm EP, 1 thread, Node`,
);
log(`  character error rate: ${(cer * 100).toFixed(2)} % (${total.errors} edits)`);
log(
  `  sessions created: ${sessionMs.toFixed(0)} ms; detection ${(detMs / pages).toFixed(0)} ms/page; recognition ${(recMs / recUnits).toFixed(0)} ms/unit of ${REC_BATCH} lines`,
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
      pages,
      lines: total.lines,
      characters: total.characters,
      errors: total.errors,
      cer,
      sessionMs: Math.round(sessionMs),
      detectionMsPerPage: Math.round(detMs / pages),
      recognitionMsPerUnit: Math.round(recMs / recUnits),
    }),
  );
