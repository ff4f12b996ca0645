// @bricolage/workloads: the workloads shipped with the grid.
export type { JobBundle, WorkUnitInput, Workload } from './workload';
export { buildCnnModel, cnnGraph } from './onnx/cnn';
export { decodeModel } from './onnx/codec';
export type { Graph } from './onnx/graph';
export { type ModelName, modelPath } from './onnx/node';
export { buildPhysicsModel, physicsGraph } from './onnx/physics';
export { evaluateGraph } from './onnx/reference';
export { cnn, type OnnxWorkloadParams, physics } from './onnx/workload';
export { decodePrimeCount } from './primes/layout';
export { countPrimes, primesReference } from './primes/reference';
export { readPrimesWgsl } from './primes/shader';
export { type PrimesParams, primes } from './primes/workload';
export { type Frame, frameTile } from './mandelbrot/layout';
export { mandelbrotReference } from './mandelbrot/reference';
export { readMandelbrotWgsl } from './mandelbrot/shader';
export { MANDELBROT_COMPARATOR, MANDELBROT_DEEP_ZOOM, type MandelbrotParams, mandelbrot } from './mandelbrot/workload';
export { compileAbi, runAbi } from './wasm-abi/host';
export { readWasm, wasmPath } from './wasm-abi/node';
