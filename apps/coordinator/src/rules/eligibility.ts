// Which jobs a volunteer's device can run, and with which backend: decided before leasing, not after.
import type { BackendClass, Capabilities, JobSpec } from '@bricolage/protocol';

export type Eligibility =
  | { readonly ok: true; readonly backend: BackendClass }
  | { readonly ok: false; readonly why: string };

export function eligibility(spec: JobSpec, caps: Capabilities): Eligibility {
  switch (spec.kind) {
    case 'wgsl': {
      const wanted = caps.backends.wgsl;
      if (wanted === 'wasm') {
        if (!spec.wasm) return { ok: false, why: 'job has no wasm implementation' };
        if (!caps.wasm) return { ok: false, why: 'device has no WebAssembly' };
        return { ok: true, backend: 'wasm' };
      }
      if (wanted !== 'webgpu') return { ok: false, why: 'device runs no wgsl backend' };
      const gpu = caps.webgpu;
      if (!gpu) return { ok: false, why: 'device has no WebGPU' };
      const l = gpu.limits;
      for (const b of spec.bindings) {
        const cap = b.type === 'uniform' ? l.maxUniformBufferBindingSize : l.maxStorageBufferBindingSize;
        if (b.size > cap || b.size > l.maxBufferSize)
          return { ok: false, why: `binding ${b.name} (${b.size} bytes) exceeds the adapter's limits` };
      }
      if (spec.bindings.filter((b) => b.type !== 'uniform').length > l.maxStorageBuffersPerShaderStage)
        return { ok: false, why: 'too many storage buffers for the adapter' };
      if (spec.dispatch.some((d) => d > l.maxComputeWorkgroupsPerDimension))
        return { ok: false, why: 'dispatch exceeds maxComputeWorkgroupsPerDimension' };
      return { ok: true, backend: 'webgpu' };
    }
    case 'onnx': {
      const wanted = caps.backends.onnx;
      if (wanted === 'onnx-wasm' && caps.onnx?.providers.includes('wasm')) return { ok: true, backend: 'onnx-wasm' };
      if (wanted === 'onnx-webgpu' && caps.onnx?.providers.includes('webgpu'))
        return { ok: true, backend: 'onnx-webgpu' };
      return { ok: false, why: 'device runs no onnx backend' };
    }
  }
}
