import type { BlobHash, OnnxSpec, WgslSpec } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { containsNaN, selfCheck, splitOnnxInput, splitWgslInput, wgslOutputLayout } from './abi';

const HASH = '0'.repeat(64) as BlobHash;

// Declared out of binding order on purpose: the ABI is binding-number order, not declaration order.
const spec: WgslSpec = {
  kind: 'wgsl',
  shader: HASH,
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

describe('WGSL work-unit ABI', () => {
  it('cuts the input into input bindings in binding-number order', () => {
    const slices = splitWgslInput(spec, Uint8Array.from([1, 2, 3, 4, 5]));
    expect(slices.map((s) => [s.binding.name, [...s.bytes]])).toEqual([
      ['a', [1, 2]],
      ['b', [3, 4, 5]],
    ]);
  });

  it('refuses an input whose size differs from the declared inputs', () => {
    expect(() => splitWgslInput(spec, new Uint8Array(4))).toThrow(/input is 4 bytes, the job declares 5/);
  });

  it('lays out the output as the output bindings in binding-number order', () => {
    expect(wgslOutputLayout(spec).map((l) => [l.binding.name, l.offset])).toEqual([
      ['out_b', 0],
      ['out_a', 4],
    ]);
  });
});

describe('ONNX work-unit ABI', () => {
  const onnx: OnnxSpec = {
    kind: 'onnx',
    model: HASH,
    inputs: [
      { name: 'x', dtype: 'float32', shape: [2, 2] },
      { name: 'mask', dtype: 'uint8', shape: [3] },
    ],
    outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
    forbidNaN: false,
  };

  it('cuts the input into tensors in declared order', () => {
    const parts = splitOnnxInput(
      onnx,
      new Uint8Array(19).map((_, i) => i),
    );
    expect(parts.map((p) => [p.tensor.name, p.bytes.length, p.bytes[0]])).toEqual([
      ['x', 16, 0],
      ['mask', 3, 16],
    ]);
  });

  it('refuses a wrongly sized input', () => {
    expect(() => splitOnnxInput(onnx, new Uint8Array(18))).toThrow(/declares 19/);
  });
});

describe('self-checks before submit', () => {
  it('rejects an output of the wrong size', () => {
    expect(selfCheck(spec, new Uint8Array(11))).toEqual({
      ok: false,
      reason: 'output is 11 bytes, the job declares 12',
    });
    expect(selfCheck(spec, new Uint8Array(12))).toEqual({ ok: true });
  });

  it('rejects NaN only when the job forbids it', () => {
    const nan = new Uint8Array(new Float32Array([1, Number.NaN, 3]).buffer);
    expect(containsNaN(nan)).toBe(true);
    expect(selfCheck(spec, nan)).toEqual({ ok: false, reason: 'output contains NaN' });
    expect(selfCheck({ ...spec, forbidNaN: false }, nan)).toEqual({ ok: true });
    expect(containsNaN(new Uint8Array(new Float32Array([Number.POSITIVE_INFINITY, 0]).buffer))).toBe(false);
  });
});
