// A hand-encoded ONNX model, C = A·B with A, B: float32[n, n], used to time onnxruntime's execution
// providers against each other on this device.
import { tinyModel } from '../executors/onnx/onnx-bytes';

export function matmulModel(n: number): Uint8Array {
  return tinyModel(
    'bricolage-calibration',
    [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    [
      { name: 'A', shape: [n, n] },
      { name: 'B', shape: [n, n] },
    ],
    [{ name: 'C', shape: [n, n] }],
  );
}
