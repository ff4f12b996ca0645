// Whether calibration times onnxruntime's execution providers on this device, which decides whether the ONNX
// backend is known from the probe alone. Page-side too (the volunteer warms onnxruntime before calibration ends
// when it cannot change the choice), so nothing here may pull the calibration's kernels into the page.
import type { WebGpuCapability } from '@bricolage/protocol';

/** `auto`: time onnxruntime's EPs only on a real (non-fallback) GPU; `always`: on any adapter. */
export type OnnxCalibrationMode = 'auto' | 'always' | 'never';

/** Whether calibration measures the EPs here; when it does not, ONNX jobs run on the wasm EP. */
export function measuresOnnx(webgpu: WebGpuCapability | null, mode: OnnxCalibrationMode = 'auto'): boolean {
  return webgpu !== null && (mode === 'always' || (mode === 'auto' && !webgpu.isFallbackAdapter));
}
