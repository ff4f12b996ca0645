// A stackable ONNX job: volunteers that stack units and those that do not must agree on every result.
import { describe, expect, it } from 'vitest';
import { CreateJobRequest } from './job';

const job = (stackable: boolean | undefined, comparator: object) => ({
  name: 'stacked',
  costPerWorkUnit: 1,
  comparator,
  spec: {
    kind: 'onnx',
    model: 'a'.repeat(64),
    inputs: [{ name: 'x', dtype: 'float32', shape: [8, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [8, 4] }],
    ...(stackable === undefined ? {} : { stackable }),
  },
});

describe('a stackable ONNX job', () => {
  it('is created with a float comparator, and stays unstacked when the field is absent', () => {
    const stacked = CreateJobRequest.parse(job(true, { kind: 'float', rtol: 1e-4, atol: 1e-6 }));
    expect(stacked.spec).toMatchObject({ stackable: true });
    // Absent stays absent: a job signed before the field existed still verifies.
    expect(CreateJobRequest.parse(job(undefined, { kind: 'exact' })).spec).not.toHaveProperty('stackable');
    expect(CreateJobRequest.safeParse(job(false, { kind: 'exact' })).success).toBe(true);
  });

  it('is refused with an exact comparator, naming the comparator', () => {
    const parsed = CreateJobRequest.safeParse(job(true, { kind: 'exact' }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['comparator', 'a stackable ONNX job needs a float comparator: stacking units may change the order of a sum'],
    ]);
  });

  it('is refused with a scalar tensor, which has no first dimension to stack along', () => {
    const scalar = job(true, { kind: 'float', rtol: 1e-4, atol: 1e-6 });
    scalar.spec.outputs = [{ name: 'y', dtype: 'float32', shape: [] }];
    const parsed = CreateJobRequest.safeParse(scalar);
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([
      'a stackable ONNX job stacks units along the first dimension: no tensor may be a scalar',
    ]);
    expect(CreateJobRequest.safeParse({ ...scalar, spec: { ...scalar.spec, stackable: false } }).success).toBe(true);
  });
});
