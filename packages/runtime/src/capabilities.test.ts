import type { BlobHash, JobId, JobSpec, LeasedJob, ProjectId } from '@bricolage/protocol';
import { Capabilities as CapabilitiesSchema } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { capabilitiesFrom, leasedBackend } from './capabilities';
import type { DeviceProbe } from './compute/api';

const limits = {
  maxStorageBufferBindingSize: 1 << 20,
  maxBufferSize: 1 << 20,
  maxUniformBufferBindingSize: 65536,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 32768,
  maxStorageBuffersPerShaderStage: 8,
};
const probe: DeviceProbe = {
  webgpu: {
    vendor: 'google',
    architecture: 'swiftshader',
    description: '',
    isFallbackAdapter: true,
    limits,
    features: [],
  },
  wasm: true,
  onnxProviders: ['wasm', 'webgpu'],
  hardwareConcurrency: 2,
  crossOriginIsolated: true,
  ortThreads: 2,
};
const calibration = {
  wgsl: { webgpuMs: 12, wasmMs: 9, webgpuAgrees: true, work: 1, choice: 'wasm' as const },
  onnx: { wasmMs: null, webgpuMs: null, choice: 'onnx-wasm' as const },
  tookMs: 100,
};
const H = '0'.repeat(64) as BlobHash;
const wgsl = (size: number, twin: boolean): JobSpec => ({
  kind: 'wgsl',
  shader: H,
  entryPoint: 'main',
  bindings: [{ binding: 0, name: 'out', type: 'read_write', role: 'output', size }],
  dispatch: [1, 1, 1],
  forbidNaN: false,
  ...(twin ? { wasm: { module: H, export: 'run' } } : {}),
});

describe('capability report', () => {
  it('carries the calibrated backends and validates against the protocol schema', () => {
    const caps = capabilitiesFrom(probe, calibration);
    expect(CapabilitiesSchema.parse(caps)).toEqual(caps);
    expect(caps.backends).toEqual({ wgsl: 'wasm', onnx: 'onnx-wasm' });
    expect(caps.webgpu?.isFallbackAdapter).toBe(true);
  });

  it('lets overrides replace the calibrated choice, but never name a backend the device lacks', () => {
    expect(capabilitiesFrom(probe, calibration, { wgsl: 'webgpu' }).backends.wgsl).toBe('webgpu');
    const noGpu = { ...probe, webgpu: null, onnxProviders: ['wasm' as const] };
    expect(capabilitiesFrom(noGpu, null, { wgsl: 'webgpu', onnx: 'onnx-webgpu' }).backends).toEqual({
      wgsl: 'wasm',
      onnx: 'onnx-wasm',
    });
  });
});

describe('the backend a lease names', () => {
  const caps = capabilitiesFrom(probe, calibration);
  const leased = (spec: JobSpec, backend: LeasedJob['backend']): LeasedJob => ({
    id: 'job_aaaaaaaaaaaaaaaa' as JobId,
    project: 'prj_aaaaaaaaaaaaaaaa' as ProjectId,
    name: 'j',
    spec,
    comparator: { kind: 'exact' },
    timeBudgetMs: 1000,
    backend,
    signature: null,
  });

  it('is followed when the device can run it, on or off its calibrated path', () => {
    expect(leasedBackend(leased(wgsl(64, true), 'wasm'), caps)).toEqual({ ok: true, backend: 'wasm', preferred: true });
    expect(leasedBackend(leased(wgsl(64, false), 'webgpu'), caps)).toEqual({
      ok: true,
      backend: 'webgpu',
      preferred: false,
    });
  });

  it('is refused, with the reason, when the device cannot run it', () => {
    expect(leasedBackend(leased(wgsl(64, false), 'wasm'), caps)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/no wasm twin/),
    });
    expect(leasedBackend(leased(wgsl(2 << 20, false), 'webgpu'), caps)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/maxBufferSize/),
    });
  });
});
