// @bricolage/workloads: the workloads shipped with the grid. Browser-safe: whatever reads files from
// disk is in `@bricolage/workloads/node` (src/node.ts).
export type { KnownAnswerOptions } from './known-answers';
export type { JobBundle, KernelFiles, WorkUnitInput, Workload } from './workload';
export { buildCnnModel, cnnGraph } from './onnx/cnn';
export { decodeModel, encodeModel } from './onnx/codec';
export type { Graph } from './onnx/graph';
export { buildPhysicsModel, physicsGraph } from './onnx/physics';
export { evaluateGraph } from './onnx/reference';
export { cnn, type OnnxWorkloadParams, physics } from './onnx/workload';
export { decodePrimeCount } from './primes/layout';
export { countPrimes, primesReference } from './primes/reference';
export { type PrimesParams, primes } from './primes/workload';
export { type Frame, frameTile } from './mandelbrot/layout';
export { mandelbrotReference } from './mandelbrot/reference';
export { MANDELBROT_COMPARATOR, MANDELBROT_DEEP_ZOOM, type MandelbrotParams, mandelbrot } from './mandelbrot/workload';
export { compileAbi, runAbi } from './wasm-abi/host';
export { extractBoxes } from './ocr/boxes';
export { type CerTally, cerOfPage, editDistance, sumCer } from './ocr/cer';
export { textLines } from './ocr/corpus';
export { ctcDecode, ctcSymbols, parseAlphabet } from './ocr/ctc';
export { blankImage, type Box, type GreyImage, resize } from './ocr/image';
export {
  decodeRecognition,
  type OcrRunner,
  planTexts,
  readPage,
  recognitionClasses,
  recognitionInputs,
  type RecognitionPlan,
  recognitionPlan,
} from './ocr/pipeline';
export { type LinePiece, lineImage, linePieces, readLine } from './ocr/pieces';
export {
  DET_MAX_SIDE,
  DET_OUTPUT_CELLS,
  DET_TILE_OVERLAP,
  type DetectionTile,
  detectionInput,
  detectionTiles,
  tiledPageBoxes,
} from './ocr/tiles';
export { decodeJpeg, isJpeg } from './ocr/jpeg';
export { decodePageImage } from './ocr/page-image';
export { decodePng, encodePng, type ImageProblem, isPng, type Zlib } from './ocr/png';
export { DET_POOL, DET_SIZE, REC_BATCH, REC_HEIGHT, REC_STEPS, REC_WIDTH } from './ocr/surgery';
export {
  DETECTION_COMPARATOR,
  detectionJob,
  DETECTION_GRAPH_OPTIMIZATION,
  type OcrJobOptions,
  RECOGNITION_COMPARATOR,
  recognitionJob,
} from './ocr/workload';
