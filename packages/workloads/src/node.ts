// @bricolage/workloads/node: the Node-only helpers, which read built files from disk. Kept off the
// package index so that a browser bundle importing the workloads can never reach node:fs.
export { buildJob, readKernelFiles, readMandelbrotWgsl, readPrimesWgsl, readWgsl } from './kernel-files';
export { MODEL_NAMES, type ModelName, modelPath } from './onnx/node';
export { readWasm, wasmPath } from './wasm-abi/node';
export { nodeZlib } from './ocr/node-zlib';
export { loadOcrModels, OCR_SOURCES, type OcrModels, ocrAssetsDir, readOcrSource } from './ocr/models';
export {
  LINES_PER_PAGE,
  PAGE_HEIGHT,
  PAGE_WIDTH,
  type RenderedPage,
  renderPage,
  renderText,
  type TextLayout,
} from './ocr/render';
