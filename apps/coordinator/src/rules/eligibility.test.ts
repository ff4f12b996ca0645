import type { Capabilities, JobSpec } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { GPU_CAPABILITIES } from '../testing/sim-volunteer';
import { eligibility } from './eligibility';

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

describe('eligibility', () => {
  it('runs a wgsl job on WebGPU when the buffers fit the adapter', () => {
    expect(eligibility(wgsl(1024), GPU_CAPABILITIES)).toEqual({ ok: true, backend: 'webgpu' });
  });

  it('refuses a wgsl job whose buffers exceed the adapter limits, before leasing', () => {
    const small = {
      ...GPU_CAPABILITIES.webgpu!,
      limits: { ...GPU_CAPABILITIES.webgpu!.limits, maxStorageBufferBindingSize: 512 },
    };
    const verdict = eligibility(wgsl(1024), { ...GPU_CAPABILITIES, webgpu: small });
    expect(verdict).toMatchObject({ ok: false, why: expect.stringMatching(/exceeds the adapter's limits/) });
  });

  it('runs the wasm twin on a device without WebGPU, and refuses a job without one', () => {
    expect(eligibility(wgsl(16, true), cpuOnly)).toEqual({ ok: true, backend: 'wasm' });
    expect(eligibility(wgsl(16, false), cpuOnly)).toMatchObject({ ok: false });
  });

  it('runs onnx jobs on the provider the device chose', () => {
    const onnx: JobSpec = {
      kind: 'onnx',
      model: H,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
      forbidNaN: false,
    };
    expect(eligibility(onnx, GPU_CAPABILITIES)).toEqual({ ok: true, backend: 'onnx-wasm' });
    expect(eligibility(onnx, { ...GPU_CAPABILITIES, onnx: null })).toMatchObject({ ok: false });
  });
});
