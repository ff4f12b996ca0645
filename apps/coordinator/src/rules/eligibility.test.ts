import type { Capabilities, JobSpec } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { GPU_CAPABILITIES } from '../testing/sim-volunteer';
import { eligibility, leaseOrder } from './eligibility';

const H = 'a'.repeat(64) as never;
const wgsl = (size: number, wasm = false): JobSpec => ({
  kind: 'wgsl',
  shader: H,
  entryPoint: 'main',
  bindings: [
    { binding: 0, name: 'x', type: 'read', role: 'input', size },
    { binding: 1, name: 'y', type: 'read_write', role: 'output', size: 4 },
  ],
  dispatch: [1, 1, 1],
  forbidNaN: false,
  ...(wasm ? { wasm: { module: H, export: 'run' } } : {}),
});
const cpuOnly: Capabilities = { ...GPU_CAPABILITIES, webgpu: null, backends: { wgsl: 'wasm', onnx: 'onnx-wasm' } };
/** A software adapter (SwiftShader) whose calibration found the wasm twin faster. */
const software: Capabilities = {
  ...GPU_CAPABILITIES,
  webgpu: { ...GPU_CAPABILITIES.webgpu!, isFallbackAdapter: true },
  backends: { wgsl: 'wasm', onnx: 'onnx-wasm' },
};

describe('eligibility', () => {
  it('runs a wgsl job on WebGPU when the buffers fit the adapter', () => {
    expect(eligibility(wgsl(1024), GPU_CAPABILITIES)).toEqual({ ok: true, backend: 'webgpu', preferred: true });
  });

  it('refuses a wgsl job whose buffers exceed the adapter limits and that has no twin, before leasing', () => {
    const small = {
      ...GPU_CAPABILITIES.webgpu!,
      limits: { ...GPU_CAPABILITIES.webgpu!.limits, maxStorageBufferBindingSize: 512 },
    };
    const verdict = eligibility(wgsl(1024), { ...GPU_CAPABILITIES, webgpu: small });
    expect(verdict).toMatchObject({ ok: false, why: expect.stringMatching(/maxStorageBufferBindingSize/) });
    expect(eligibility(wgsl(1024, true), { ...GPU_CAPABILITIES, webgpu: small })).toMatchObject({
      ok: true,
      backend: 'wasm',
      preferred: false,
    });
  });

  it('runs the wasm twin on a device without WebGPU, and refuses a job without one', () => {
    expect(eligibility(wgsl(16, true), cpuOnly)).toEqual({ ok: true, backend: 'wasm', preferred: true });
    expect(eligibility(wgsl(16, false), cpuOnly)).toMatchObject({ ok: false });
  });

  it('leases a job without a twin to a software adapter that prefers wasm, on WebGPU', () => {
    expect(eligibility(wgsl(16, false), software)).toEqual({ ok: true, backend: 'webgpu', preferred: false });
    expect(eligibility(wgsl(16, true), software)).toEqual({ ok: true, backend: 'wasm', preferred: true });
  });

  it('runs onnx jobs on the provider the device chose', () => {
    const onnx: JobSpec = {
      kind: 'onnx',
      model: H,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
      forbidNaN: false,
    };
    expect(eligibility(onnx, GPU_CAPABILITIES)).toEqual({ ok: true, backend: 'onnx-wasm', preferred: true });
    expect(eligibility(onnx, { ...GPU_CAPABILITIES, onnx: null })).toMatchObject({ ok: false });
  });
});

describe('leaseOrder', () => {
  it('offers a device the jobs on its calibrated path first, the ones it runs only off it last, and no others', () => {
    const jobs = [
      { name: 'wgsl-only, older', spec: wgsl(16, false) },
      { name: 'twin', spec: wgsl(16, true) },
      { name: 'too big', spec: wgsl(1 << 30, false) },
      { name: 'twin, newer', spec: wgsl(32, true) },
    ];
    const tooBig = {
      ...software,
      webgpu: { ...software.webgpu!, limits: { ...software.webgpu!.limits, maxStorageBufferBindingSize: 1 << 29 } },
    };
    const order = leaseOrder(jobs, (j) => eligibility(j.spec, tooBig));
    expect(order.map((o) => [o.job.name, o.backend])).toEqual([
      ['twin', 'wasm'],
      ['twin, newer', 'wasm'],
      ['wgsl-only, older', 'webgpu'],
    ]);
  });
});
