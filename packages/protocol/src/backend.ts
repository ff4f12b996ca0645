// Which backend a device runs a job on. One rule, applied by the coordinator before it leases (and names
// the backend in the lease) and by the volunteer before it computes, so that the two cannot disagree.
//
// A WGSL job runs on the device's calibrated path when it can: the wasm twin where calibration found
// WebAssembly faster (a software adapter), WebGPU otherwise. When that path is closed — no twin, or
// buffers beyond the adapter's limits — it runs on the other one: a job without a twin goes to any
// WebGPU adapter that fits, software ones included, because slow beats never. Such a fallback is
// marked `preferred: false`, and the coordinator leases it only after the work the device runs best.
import type { BackendClass, JobSpec, WgslSpec } from './job-spec';
import type { Capabilities } from './volunteer';

export type BackendChoice =
  | { readonly ok: true; readonly backend: BackendClass; readonly preferred: boolean }
  | { readonly ok: false; readonly why: string };

/** The adapter limits a WGSL job's bindings and dispatch must fit (WebGPU's GPUSupportedLimits has them all). */
export interface GpuLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxUniformBufferBindingSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBuffersPerShaderStage: number;
}

/** Binding sizes rounded up to WebGPU's 4-byte copy granularity. */
const padded = (size: number): number => Math.ceil(size / 4) * 4;

/** Why this adapter cannot run the job, or null when it can: checked before any compute is attempted. */
export function wgslLimitViolation(spec: WgslSpec, limits: GpuLimits): string | null {
  let storage = 0;
  for (const b of spec.bindings) {
    const size = padded(b.size);
    if (size > limits.maxBufferSize)
      return `binding ${b.name} is ${b.size} bytes > maxBufferSize ${limits.maxBufferSize}`;
    if (b.type === 'uniform') {
      if (size > limits.maxUniformBufferBindingSize)
        return `binding ${b.name} is ${b.size} bytes > maxUniformBufferBindingSize ${limits.maxUniformBufferBindingSize}`;
    } else {
      storage++;
      if (size > limits.maxStorageBufferBindingSize)
        return `binding ${b.name} is ${b.size} bytes > maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}`;
    }
  }
  if (storage > limits.maxStorageBuffersPerShaderStage)
    return `${storage} storage bindings > maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage}`;
  for (const d of spec.dispatch)
    if (d > limits.maxComputeWorkgroupsPerDimension)
      return `dispatch ${spec.dispatch.join('x')} > maxComputeWorkgroupsPerDimension ${limits.maxComputeWorkgroupsPerDimension}`;
  return null;
}

/** Why the device cannot run the job on this backend, or null when it can. */
export function backendProblem(spec: JobSpec, backend: BackendClass, caps: Capabilities): string | null {
  switch (backend) {
    case 'wasm':
      if (spec.kind !== 'wgsl') return `a ${spec.kind} job does not run on wasm`;
      if (!spec.wasm) return 'the job has no wasm twin';
      return caps.wasm ? null : 'the device has no WebAssembly';
    case 'webgpu':
      if (spec.kind !== 'wgsl') return `a ${spec.kind} job does not run on webgpu`;
      if (!caps.webgpu) return 'the device has no WebGPU';
      return wgslLimitViolation(spec, caps.webgpu.limits);
    case 'onnx-wasm':
    case 'onnx-webgpu': {
      if (spec.kind !== 'onnx') return `a ${spec.kind} job does not run on ${backend}`;
      const provider = backend === 'onnx-wasm' ? 'wasm' : 'webgpu';
      return caps.onnx?.providers.includes(provider) ? null : `the device has no onnxruntime ${provider} provider`;
    }
  }
}

/** The backend this device runs the job on, or why it cannot run it at all. */
export function chooseBackend(spec: JobSpec, caps: Capabilities): BackendChoice {
  if (spec.kind === 'onnx') {
    const wanted = caps.backends.onnx;
    if (!wanted) return { ok: false, why: 'the device runs no ONNX backend' };
    const problem = backendProblem(spec, wanted, caps);
    return problem ? { ok: false, why: problem } : { ok: true, backend: wanted, preferred: true };
  }
  const wanted = caps.backends.wgsl;
  if (wanted !== 'wasm' && wanted !== 'webgpu') return { ok: false, why: 'the device runs no WGSL backend' };
  const other = wanted === 'wasm' ? 'webgpu' : 'wasm';
  const first = backendProblem(spec, wanted, caps);
  if (!first) return { ok: true, backend: wanted, preferred: true };
  const second = backendProblem(spec, other, caps);
  if (!second) return { ok: true, backend: other, preferred: false };
  return { ok: false, why: `${first}, and ${second}` };
}
