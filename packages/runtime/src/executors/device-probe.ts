// What the compute worker finds on the device before any calibration: the WebGPU adapter, WebAssembly,
// onnxruntime's providers and threads. Below calibration/ and compute/, which both use it.
import type { WebGpuCapability } from '@bricolage/protocol';

export interface DeviceProbe {
  readonly webgpu: WebGpuCapability | null;
  readonly wasm: boolean;
  readonly onnxProviders: ('wasm' | 'webgpu')[];
  readonly hardwareConcurrency: number;
  readonly crossOriginIsolated: boolean;
  /** Threads onnxruntime's wasm EP will use here. */
  readonly ortThreads: number;
}
