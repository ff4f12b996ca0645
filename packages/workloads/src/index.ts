// @bricolage/workloads: the workloads shipped with the grid. Browser-safe: whatever reads files from
// disk is in `@bricolage/workloads/node` (src/node.ts).
export type { KnownAnswerOptions } from './known-answers';
export type { JobBundle, KernelFiles, WorkUnitInput, Workload } from './workload';
export { buildCnnModel, cnnGraph } from './onnx/cnn';
export { decodeModel } from './onnx/codec';
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
