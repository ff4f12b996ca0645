import { describe, expect, it } from 'vitest';
import { chooseBackend, wgslLimitViolation } from './backend';
import type { BlobHash } from './ids';
import type { JobSpec, WgslSpec } from './job-spec';
import type { Capabilities } from './volunteer';

const H = '0'.repeat(64) as BlobHash;
const limits = {
  maxStorageBufferBindingSize: 1 << 20,
  maxBufferSize: 1 << 20,
  maxUniformBufferBindingSize: 65536,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 32768,
  maxStorageBuffersPerShaderStage: 8,
};
/** A device with a software adapter, as on these machines; `wgsl` is what its calibration chose. */
const device = (wgsl: 'webgpu' | 'wasm' | null, gpu = true): Capabilities => ({
  webgpu: gpu
    ? { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true, limits, features: [] }
    : null,
  wasm: true,
  onnx: { providers: gpu ? ['wasm', 'webgpu'] : ['wasm'] },
  hardwareConcurrency: 2,
  backends: { wgsl, onnx: 'onnx-wasm' },
});
const wgsl = (size: number, twin: boolean): JobSpec => ({
  kind: 'wgsl',
  shader: H,
  entryPoint: 'main',
  bindings: [{ binding: 0, name: 'out', type: 'read_write', role: 'output', size }],
  dispatch: [1, 1, 1],
  forbidNaN: false,
  ...(twin ? { wasm: { module: H, export: 'run' } } : {}),
});

describe('chooseBackend', () => {
  it('runs a job with a twin on the calibrated path', () => {
    expect(chooseBackend(wgsl(64, true), device('wasm'))).toEqual({ ok: true, backend: 'wasm', preferred: true });
    expect(chooseBackend(wgsl(64, true), device('webgpu'))).toEqual({ ok: true, backend: 'webgpu', preferred: true });
  });

  it('runs a WGSL-only job on a software adapter although calibration prefers wasm: slow beats never', () => {
    expect(chooseBackend(wgsl(64, false), device('wasm'))).toEqual({ ok: true, backend: 'webgpu', preferred: false });
  });

  it('falls back to the twin when the buffers exceed the adapter, and refuses when there is none', () => {
    expect(chooseBackend(wgsl(2 << 20, true), device('webgpu'))).toEqual({
      ok: true,
      backend: 'wasm',
      preferred: false,
    });
    expect(chooseBackend(wgsl(2 << 20, false), device('webgpu'))).toMatchObject({
      ok: false,
      why: expect.stringMatching(/maxBufferSize.*no wasm twin/),
    });
  });

  it('refuses a WGSL-only job on a device without WebGPU, or one that runs no WGSL at all', () => {
    expect(chooseBackend(wgsl(64, false), device('wasm', false))).toMatchObject({
      ok: false,
      why: 'the job has no wasm twin, and the device has no WebGPU',
    });
    expect(chooseBackend(wgsl(64, true), device(null))).toMatchObject({
      ok: false,
      why: expect.stringMatching(/no WGSL backend/),
    });
  });

  it('runs an ONNX job on the provider the device chose, and only if it has it', () => {
    const onnx: JobSpec = {
      kind: 'onnx',
      model: H,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
      forbidNaN: false,
    };
    expect(chooseBackend(onnx, device('wasm'))).toEqual({ ok: true, backend: 'onnx-wasm', preferred: true });
    const gpuOnnx = { ...device('wasm', false), backends: { wgsl: 'wasm' as const, onnx: 'onnx-webgpu' as const } };
    expect(chooseBackend(onnx, gpuOnnx)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/no onnxruntime webgpu provider/),
    });
  });
});

describe('wgslLimitViolation', () => {
  // Declared out of binding order on purpose, with every binding type.
  const spec: WgslSpec = {
    kind: 'wgsl',
    shader: H,
    entryPoint: 'main',
    bindings: [
      { binding: 3, name: 'out_b', type: 'read_write', role: 'output', size: 4 },
      { binding: 1, name: 'b', type: 'read', role: 'input', size: 3 },
      { binding: 2, name: 'scratch', type: 'read_write', role: 'scratch', size: 64 },
      { binding: 0, name: 'a', type: 'uniform', role: 'input', size: 2 },
      { binding: 4, name: 'out_a', type: 'read_write', role: 'output', size: 8 },
    ],
    dispatch: [1, 1, 1],
    forbidNaN: true,
  };
  const small = {
    maxStorageBufferBindingSize: 1024,
    maxBufferSize: 2048,
    maxUniformBufferBindingSize: 16,
    maxComputeWorkgroupsPerDimension: 100,
    maxStorageBuffersPerShaderStage: 8,
  };

  it('checks declared buffer sizes, storage bindings and dispatch against adapter limits', () => {
    expect(wgslLimitViolation(spec, small)).toBeNull();
    expect(wgslLimitViolation(spec, { ...small, maxUniformBufferBindingSize: 1 })).toMatch(
      /maxUniformBufferBindingSize/,
    );
    expect(wgslLimitViolation(spec, { ...small, maxStorageBufferBindingSize: 32 })).toMatch(
      /scratch.*maxStorageBufferBindingSize/,
    );
    expect(wgslLimitViolation(spec, { ...small, maxStorageBuffersPerShaderStage: 3 })).toMatch(/4 storage bindings/);
    expect(wgslLimitViolation({ ...spec, dispatch: [101, 1, 1] }, small)).toMatch(/dispatch/);
  });
});
