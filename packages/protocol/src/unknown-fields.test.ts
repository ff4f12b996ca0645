import { describe, expect, it } from 'vitest';
import { CreateJobRequest, WorkUnitLine } from './job';
import { OnnxSpec } from './job-spec';
import { unknownFields, unknownFieldsProblem } from './unknown-fields';

const HASH = 'a'.repeat(64);
const manifest = {
  name: 'squares',
  spec: {
    kind: 'onnx',
    model: HASH,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
  },
  comparator: { kind: 'exact' },
  costPerWorkUnit: 1,
};

describe('unknown fields', () => {
  it('names what a parse dropped, however deep, and nothing a default added', () => {
    const written = {
      ...manifest,
      redundancy: { minQourum: 5, maxTotalResults: 10 },
      timeBudgetMS: 600_000,
      spec: { ...manifest.spec, inputs: [{ ...manifest.spec.inputs[0], nmae: 'x' }] },
    };
    const parsed = CreateJobRequest.parse(written);
    expect(unknownFields(written, parsed)).toEqual(['spec.inputs.0.nmae', 'redundancy.minQourum', 'timeBudgetMS']);
    expect(unknownFieldsProblem(written, parsed)).toBe(
      'unknown fields spec.inputs.0.nmae, redundancy.minQourum, timeBudgetMS (misspelt? nothing was taken from them)',
    );
  });

  it('finds none in what the schema knows', () => {
    expect(unknownFieldsProblem(manifest, CreateJobRequest.parse(manifest))).toBeNull();
    const line = { input: 'AAAA', expected: 'AAAA', tag: 't' };
    expect(unknownFields(line, WorkUnitLine.parse(line))).toEqual([]);
    const misspelt = { input: 'AAAA', expceted: 'AAAA' };
    expect(unknownFields(misspelt, WorkUnitLine.parse(misspelt))).toEqual(['expceted']);
  });
});

describe('tensor sizes', () => {
  it('refuses a tensor whose shape makes more than 1 GiB, though each dimension is within bounds', () => {
    const huge = { ...manifest.spec, inputs: [{ name: 'x', dtype: 'float32', shape: Array(8).fill(1 << 24) }] };
    const parsed = OnnxSpec.safeParse(huge);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('more than 1 GiB');
    // 2^28 float32 elements are exactly 1 GiB: allowed.
    const edge = { ...manifest.spec, inputs: [{ name: 'x', dtype: 'float32', shape: [1 << 14, 1 << 14] }] };
    expect(OnnxSpec.safeParse(edge).success).toBe(true);
  });
});
