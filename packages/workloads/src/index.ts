// @bricolage/workloads: the workloads shipped with the grid.
export type { JobBundle, WorkUnitInput, Workload } from './workload';
export { buildCnnModel, cnnGraph } from './onnx/cnn';
export { decodeModel } from './onnx/codec';
export type { Graph } from './onnx/graph';
export { type ModelName, modelPath } from './onnx/node';
export { buildPhysicsModel, physicsGraph } from './onnx/physics';
export { evaluateGraph } from './onnx/reference';
export { cnn, type OnnxWorkloadParams, physics } from './onnx/workload';
