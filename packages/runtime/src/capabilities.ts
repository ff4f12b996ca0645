// The capability report sent with every lease request, and the per-job backend choice that follows
// from it: the coordinator leases only what this device can run, and the device runs it where
// calibration said it is fastest.
import type { BackendClass, Capabilities, JobSpec } from '@bricolage/protocol';
import { wgslLimitViolation } from './abi';
import type { CalibrationReport } from './calibration/calibrate';
import type { DeviceProbe } from './compute/api';

export interface BackendOverrides {
  /** Force WGSL jobs onto WebGPU or onto their wasm twin instead of the calibrated choice. */
  readonly wgsl?: 'webgpu' | 'wasm';
  readonly onnx?: 'onnx-wasm' | 'onnx-webgpu';
}

export function capabilitiesFrom(
  probe: DeviceProbe,
  calibration: CalibrationReport | null,
  overrides: BackendOverrides = {},
): Capabilities {
  const wgsl: BackendClass | null =
    overrides.wgsl ?? calibration?.wgsl.choice ?? (probe.webgpu ? 'webgpu' : probe.wasm ? 'wasm' : null);
  const onnx: BackendClass | null = probe.wasm ? (overrides.onnx ?? calibration?.onnx.choice ?? 'onnx-wasm') : null;
  return {
    webgpu: probe.webgpu,
    wasm: probe.wasm,
    onnx: probe.wasm ? { providers: probe.onnxProviders } : null,
    hardwareConcurrency: Math.min(1024, Math.max(1, probe.hardwareConcurrency)),
    backends: {
      wgsl: wgsl === 'webgpu' && !probe.webgpu ? (probe.wasm ? 'wasm' : null) : wgsl,
      onnx: onnx === 'onnx-webgpu' && !probe.onnxProviders.includes('webgpu') ? 'onnx-wasm' : onnx,
    },
  };
}

export type BackendChoice =
  | { readonly ok: true; readonly backend: BackendClass }
  | { readonly ok: false; readonly reason: string };

/** Where this device runs a job, or why it cannot: checked again locally whatever the coordinator leased. */
export function chooseBackend(spec: JobSpec, caps: Capabilities): BackendChoice {
  if (spec.kind === 'onnx') {
    const backend = caps.backends.onnx;
    return backend ? { ok: true, backend } : { ok: false, reason: 'this device runs no onnx backend' };
  }
  const wantWasm = caps.backends.wgsl === 'wasm';
  if (wantWasm && spec.wasm && caps.wasm) return { ok: true, backend: 'wasm' };
  if (caps.webgpu) {
    const violation = wgslLimitViolation(spec, caps.webgpu.limits);
    if (!violation) return { ok: true, backend: 'webgpu' };
    if (spec.wasm && caps.wasm) return { ok: true, backend: 'wasm' };
    return { ok: false, reason: violation };
  }
  if (spec.wasm && caps.wasm) return { ok: true, backend: 'wasm' };
  return { ok: false, reason: 'this device has no WebGPU and the job has no wasm implementation' };
}
