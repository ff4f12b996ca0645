import type { LeaseNumber, VolunteerKey } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { failureReason, type ReturnedResult, replicasWanted, validate } from './validation';

const result = (replica: number, value: number, backend: ReturnedResult['backend'] = 'webgpu'): ReturnedResult => {
  const output = new Uint8Array(new Float32Array([value]).buffer);
  return {
    replica: replica as LeaseNumber,
    volunteer: `v${replica}` as VolunteerKey,
    backend,
    output,
    outputHash: `h${value}`,
  };
};

describe('validate', () => {
  it('waits until a quorum agrees', () => {
    expect(validate([result(1, 1)], 2, { kind: 'exact' }, false)).toEqual({ kind: 'pending', largestGroup: 1 });
    expect(validate([result(1, 1), result(2, 2)], 2, { kind: 'exact' }, false)).toEqual({
      kind: 'pending',
      largestGroup: 1,
    });
  });

  it('makes the first agreeing result canonical and marks dissenters invalid', () => {
    const outcome = validate([result(1, 1), result(2, 2), result(3, 1)], 2, { kind: 'exact' }, false);
    expect(outcome).toMatchObject({ kind: 'canonical', valid: [1, 3], invalid: [2] });
    if (outcome.kind === 'canonical') expect(outcome.canonical.replica).toBe(1);
  });

  it('lets float results within tolerance agree, and no others', () => {
    const float = { kind: 'float', rtol: 1e-5, atol: 0 } as const;
    expect(validate([result(1, 1), result(2, 1.000001)], 2, float, false).kind).toBe('canonical');
    expect(validate([result(1, 1), result(2, 1.001)], 2, float, false).kind).toBe('pending');
  });

  it('forms quorums only within one backend class under homogeneous redundancy', () => {
    expect(validate([result(1, 1, 'webgpu'), result(2, 1, 'wasm')], 2, { kind: 'exact' }, true).kind).toBe('pending');
    expect(validate([result(1, 1, 'wasm'), result(2, 1, 'wasm')], 2, { kind: 'exact' }, true).kind).toBe('canonical');
  });
});

describe('replicasWanted and failureReason', () => {
  const limits = { maxTotalResults: 4, maxErrorResults: 1 };
  it('asks for a full quorum at first and one more after a disagreement', () => {
    expect(replicasWanted({ quorum: 2, inFlight: 0, largestGroup: 0, issued: 0, errors: 0 }, limits)).toBe(2);
    expect(replicasWanted({ quorum: 2, inFlight: 0, largestGroup: 1, issued: 2, errors: 0 }, limits)).toBe(1);
  });
  it('never issues past maxTotalResults', () => {
    expect(replicasWanted({ quorum: 3, inFlight: 0, largestGroup: 1, issued: 4, errors: 0 }, limits)).toBe(0);
  });
  it('fails a work unit with too many errors or no quorum left possible', () => {
    expect(failureReason({ quorum: 2, inFlight: 0, largestGroup: 0, issued: 2, errors: 2 }, limits)).toMatch(
      /too many error results/,
    );
    expect(failureReason({ quorum: 2, inFlight: 0, largestGroup: 1, issued: 4, errors: 0 }, limits)).toMatch(
      /no quorum/,
    );
    expect(failureReason({ quorum: 2, inFlight: 1, largestGroup: 1, issued: 4, errors: 0 }, limits)).toBeNull();
  });
});
