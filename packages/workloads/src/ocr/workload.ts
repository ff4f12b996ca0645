// The `ocr` workload: PaddleOCR's PP-OCRv4 text detection and recognition on volunteers' devices, as two
// ONNX jobs run by the runtime's ordinary ONNX path (onnxruntime-web, wasm EP or WebGPU EP as calibration
// picks; sessions cached per model in each worker). Browser-safe: the models come in as bytes.
//
// Where each step lives, and why:
// - On the researcher's side (pipeline.ts, run by the CLI): decoding the page (PNG or JPEG), fitting a page into the
//   detector's canvas or cutting a large one into tiles of it (tiles.ts), DB's box extraction and joining the
//   tiles' boxes, cutting and scaling line images (a long line in pieces: pieces.ts), CTC decoding with the alphabet.
//   Each is cheap, needs the original image (crops at full resolution) or the alphabet, and is a deterministic
//   function of validated results, so it needs no quorum of its own.
// - In the graph, by model surgery at build time (surgery.ts): normalisation in front (units carry grey uint8
//   pixels: a quarter of float RGB, and exactly the bytes the researcher made), and behind, a small output:
//   detection: the sigmoid map max-pooled 4×4 to 160×160 f32 (100 KiB, not 1.6 MiB); it is continuous, so
//     replicas from different backends agree within the float comparator's tolerance below;
//   recognition: ArgMax over the 6,625 classes at each CTC step, int32, compared exactly: 2.5 KiB a unit of
//     8 lines instead of 17 MB of probabilities. Two backends can only disagree where two classes tie to
//     within rounding, which costs one more replica, never a wrong answer accepted.
// - Two stages: detection results become recognition units on the researcher's side (the CLI's `ocr`
//   command), not in the coordinator: see docs/ARCHITECTURE.md, Two-stage jobs.
import { type Comparator, type CreateJobRequest, sha256Hex } from '@bricolage/protocol';
import type { JobBundle } from '../workload';
import { DET_POOL, DET_SIZE, REC_BATCH, REC_HEIGHT, REC_STEPS, REC_WIDTH } from './surgery';

/*
 * Detection tolerance. The map is a sigmoid's output in [0, 1]; DB thresholds it at 0.3 and keeps regions
 * whose mean passes 0.6, so a difference of 1e-3 cannot move a box by more than a cell's edge case, while a
 * different model, input or wrong computation changes cells by tenths. ORT's wasm EP against its own runs is
 * bit-identical; across EPs (JSEP WebGPU vs wasm, on the GPU machine) the maps agreed far inside this.
 */
export const DETECTION_COMPARATOR: Comparator = { kind: 'float', rtol: 0, atol: 1e-3 };
export const RECOGNITION_COMPARATOR: Comparator = { kind: 'exact' };

/**
 * The detector loads with onnxruntime's graph optimisations off: in Chromium's wasm EP it computed a page as fast
 * without them (1.92–2.07 units/s against 2.01–2.03) and its first unit started ~400 ms sooner (1,526–1,723
 * against 1,960–2,028 ms after page load; BENCHMARKS.md, issue 15). The recogniser keeps them (the default, 'all'):
 * without them its units ran 25–30 % slower there (0.68–0.72 against 0.94–0.96 units/s).
 */
export const DETECTION_GRAPH_OPTIMIZATION = 'disabled' as const;

export interface OcrJobOptions {
  /** The job's name; the stage is appended. */
  readonly name: string;
  readonly costPerWorkUnit?: number;
  readonly minQuorum?: number;
}

const common = (o: OcrJobOptions) => ({
  costPerWorkUnit: o.costPerWorkUnit ?? 1,
  // Every unit is checked by two volunteers (or o.minQuorum): no adaptive trust on a job this small.
  redundancy: { minQuorum: o.minQuorum ?? 2, maxTotalResults: 6, maxErrorResults: 3, homogeneous: false },
  adaptive: { enabled: false, trustAfter: 10, spotCheckRate: 0.1 },
  // A page on SwiftShader's WebGPU EP takes minutes; the wasm EP seconds.
  timeBudgetMs: 600_000,
  leaseSeconds: 1200,
});

/** The detection job: one unit per page or tile (tiles.ts), [1, DET_SIZE, DET_SIZE] uint8 in, the pooled map out. */
export async function detectionJob(model: Uint8Array, o: OcrJobOptions): Promise<JobBundle> {
  const side = DET_SIZE / DET_POOL;
  const request: CreateJobRequest = {
    name: `${o.name} · detection`,
    description:
      'PP-OCRv4 text detection (PaddleOCR): one page, or one tile of a large page, per work unit; returns its text probability map.',
    spec: {
      kind: 'onnx',
      model: await sha256Hex(model),
      inputs: [{ name: 'image', dtype: 'uint8', shape: [1, DET_SIZE, DET_SIZE] }],
      outputs: [{ name: 'prob', dtype: 'float32', shape: [1, 1, side, side] }],
      forbidNaN: true,
      graphOptimization: DETECTION_GRAPH_OPTIMIZATION,
    },
    comparator: DETECTION_COMPARATOR,
    ...common(o),
  };
  return { request, blobs: [model] };
}

/**
 * The recognition job: REC_BATCH line images (lines, or pieces of long lines: pieces.ts) per unit,
 * [REC_BATCH, 48, REC_WIDTH] uint8 in, class indices out.
 */
export async function recognitionJob(model: Uint8Array, o: OcrJobOptions): Promise<JobBundle> {
  const request: CreateJobRequest = {
    name: `${o.name} · recognition`,
    description: `PP-OCRv4 text recognition (PaddleOCR): ${REC_BATCH} text lines per work unit; returns class indices.`,
    spec: {
      kind: 'onnx',
      model: await sha256Hex(model),
      inputs: [{ name: 'image', dtype: 'uint8', shape: [REC_BATCH, REC_HEIGHT, REC_WIDTH] }],
      outputs: [{ name: 'classes', dtype: 'int32', shape: [REC_BATCH, REC_STEPS] }],
      forbidNaN: false,
    },
    comparator: RECOGNITION_COMPARATOR,
    ...common(o),
  };
  return { request, blobs: [model] };
}
