import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { calibrationKey, readCalibration, writeCalibration } from './cache';
import { pickWgsl } from './calibrate';
import { matmulModel } from './matmul-onnx';
import { spinReference, spinWasm } from './spin';

describe('calibration kernels', () => {
  it('the hand-assembled spin module computes what the reference computes', () => {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(spinWasm() as Uint8Array<ArrayBuffer>), {});
    const spin = instance.exports.spin as (n: number, k: number) => number;
    expect(WebAssembly.Module.imports(new WebAssembly.Module(spinWasm() as Uint8Array<ArrayBuffer>))).toEqual([]);
    for (const [n, k] of [
      [1, 1],
      [64, 10],
      [300, 77],
    ] as const)
      expect(spin(n, k) >>> 0).toBe(spinReference(n, k));
  });

  it('the hand-encoded ONNX MatMul model loads and multiplies', async () => {
    const n = 3;
    const session = await ort.InferenceSession.create(matmulModel(n), { executionProviders: ['wasm'] });
    const a = Float32Array.from({ length: n * n }, (_, i) => i + 1);
    const out = await session.run({ A: new ort.Tensor('float32', a, [n, n]), B: new ort.Tensor('float32', a, [n, n]) });
    expect([...(out.C!.data as Float32Array)]).toEqual([30, 36, 42, 66, 81, 96, 102, 126, 150]);
    await session.release();
  });
});

describe('backend choice from calibration', () => {
  it('keeps wasm on a software adapter unless WebGPU is more than twice as fast', () => {
    expect(pickWgsl(12, 9, true)).toBe('wasm');
    expect(pickWgsl(8.5, 9, true)).toBe('wasm');
    // 30% faster on the spin kernel is not enough: it runs on the same CPU, on more threads.
    expect(pickWgsl(6.3, 9, true)).toBe('wasm');
    expect(pickWgsl(4, 9, true)).toBe('webgpu');
  });

  it('keeps WebGPU on a real GPU unless wasm wins by more than the margin', () => {
    expect(pickWgsl(1, 9, false)).toBe('webgpu');
    expect(pickWgsl(10, 9, false)).toBe('webgpu');
    expect(pickWgsl(20, 9, false)).toBe('wasm');
  });
});

describe('calibration cache', () => {
  const probe = {
    webgpu: null,
    wasm: true,
    onnxProviders: ['wasm' as const],
    hardwareConcurrency: 2,
    crossOriginIsolated: false,
    ortThreads: 1,
  };
  const report = {
    wgsl: { webgpuMs: null, wasmMs: 9, webgpuAgrees: null, work: 1, choice: 'wasm' as const },
    onnx: { wasmMs: null, webgpuMs: null, choice: 'onnx-wasm' as const },
    tookMs: 100,
  };
  const memory = () => {
    const items = new Map<string, string>();
    return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
  };

  it('returns a stored calibration for the same device for a week', () => {
    const store = memory();
    const key = calibrationKey(probe, 'UA');
    writeCalibration(store, key, report, 1000);
    expect(readCalibration(store, key, 2000)).toEqual(report);
    expect(readCalibration(store, key, 1000 + 8 * 24 * 3600 * 1000)).toBeNull();
  });

  it('keys on the adapter and the browser, so another device measures afresh', () => {
    expect(calibrationKey(probe, 'UA')).not.toBe(calibrationKey(probe, 'UA2'));
    expect(calibrationKey(probe, 'UA')).not.toBe(calibrationKey({ ...probe, hardwareConcurrency: 8 }, 'UA'));
  });

  it('ignores an unreadable entry', () => {
    const store = memory();
    store.setItem('k', '{not json');
    expect(readCalibration(store, 'k', 0)).toBeNull();
  });
});
