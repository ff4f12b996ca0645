// The capability report sent with every lease request, and the check of the backend the coordinator
// chose from it: the coordinator leases only what this device can run (protocol's chooseBackend), and the
// device runs each job where the lease says, after checking it can.
import {
  type BackendChoice,
  type BackendClass,
  backendProblem,
  type Capabilities,
  type LeasedJob,
} from '@bricolage/protocol';
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

/**
 * The backend the coordinator chose for a leased job, checked against this device: the volunteer runs the
 * job there (a WGSL-only job on a software adapter, say, although calibration prefers wasm) or refuses it.
 */
export function leasedBackend(job: LeasedJob, caps: Capabilities): BackendChoice {
  const problem = backendProblem(job.spec, job.backend, caps);
  if (problem) return { ok: false, why: `the coordinator chose ${job.backend}, but ${problem}` };
  const preferred = job.spec.kind === 'wgsl' ? caps.backends.wgsl === job.backend : caps.backends.onnx === job.backend;
  return { ok: true, backend: job.backend, preferred };
}
