import { CreateJobRequest, ioSizes, sha256Hex } from '@bricolage/protocol';
import { describe, expect, test } from 'vitest';
import { CNN_BATCH, CNN_CLASSES } from './cnn';
import { MAX_DIFFUSION_NUMBER, PHYSICS_BATCH, PHYSICS_SIZE } from './physics';
import { unpackF32 } from './tensors';
import { cnn, physics } from './workload';

describe.each([cnn, physics])('the $name workload', (workload) => {
  test('defines a valid onnx job whose model hash is the SHA-256 of the shipped model', async () => {
    const { request, blobs } = await workload.job({ workUnits: 1 });
    const job = CreateJobRequest.parse(request);
    expect(job.spec.kind).toBe('onnx');
    if (job.spec.kind !== 'onnx') return;
    expect(blobs).toHaveLength(1);
    expect(job.spec.model).toBe(await sha256Hex(blobs[0] as Uint8Array));
    expect(job.comparator.kind).toBe('float');
  });

  test('yields work units and reference outputs of exactly the ABI sizes', async () => {
    const { request } = await workload.job({ workUnits: 2 });
    const sizes = ioSizes(CreateJobRequest.parse(request).spec);
    for (const wu of workload.workUnits({ workUnits: 2 })) {
      expect(wu.input.length).toBe(sizes.input);
      expect(workload.reference(wu.input).length).toBe(sizes.output);
    }
  });

  test('yields the same work units for the same seed, each independent of how many are asked for', () => {
    const three = [...workload.workUnits({ workUnits: 3, seed: 5 })];
    const five = [...workload.workUnits({ workUnits: 5, seed: 5 })];
    expect(five.slice(0, 3)).toEqual(three);
    expect(new Set(five.map((w) => w.tag)).size).toBe(5);
    const other = [...workload.workUnits({ workUnits: 1, seed: 6 })];
    expect(other[0]?.input).not.toEqual(three[0]?.input);
  });

  test('reference refuses input of the wrong length', () => {
    expect(() => workload.reference(new Uint8Array(12))).toThrow(/bytes of input/);
  });
});

test('cnn reference outputs one probability distribution per image', async () => {
  const { request } = await cnn.job({ workUnits: 1 });
  const spec = CreateJobRequest.parse(request).spec;
  if (spec.kind !== 'onnx') throw new Error('expected an onnx job');
  const [wu] = [...cnn.workUnits({ workUnits: 1 })];
  const [p] = unpackF32(cnn.reference(wu?.input ?? new Uint8Array()), spec.outputs) as [Float32Array];
  for (let b = 0; b < CNN_BATCH; b++) {
    const row = p.subarray(b * CNN_CLASSES, (b + 1) * CNN_CLASSES);
    expect(row.every((v) => v > 0 && v < 1)).toBe(true);
    expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
  }
});

test('physics work units stay inside the FTCS stability bound and cool down', async () => {
  const { request } = await physics.job({ workUnits: 1 });
  const spec = CreateJobRequest.parse(request).spec;
  if (spec.kind !== 'onnx') throw new Error('expected an onnx job');
  for (const wu of physics.workUnits({ workUnits: 4 })) {
    const [u0, r] = unpackF32(wu.input, spec.inputs) as [Float32Array, Float32Array];
    expect(r.every((v) => v > 0 && v <= MAX_DIFFUSION_NUMBER)).toBe(true);
    const [u, mean] = unpackF32(physics.reference(wu.input), spec.outputs) as [Float32Array, Float32Array];
    const cells = PHYSICS_SIZE * PHYSICS_SIZE;
    for (let b = 0; b < PHYSICS_BATCH; b++) {
      const avg = (t: Float32Array) => t.subarray(b * cells, (b + 1) * cells).reduce((a, v) => a + v, 0) / cells;
      // The mean output is the mean of the field, and heat only leaves through the cold edges.
      expect(mean[b]).toBeCloseTo(avg(u), 6);
      expect(mean[b]).toBeLessThanOrEqual(avg(u0) + 1e-7);
      // FTCS with r ≤ 1/4 is monotone: no new extremes appear.
      expect(Math.max(...u.subarray(b * cells, (b + 1) * cells))).toBeLessThanOrEqual(
        Math.max(...u0.subarray(b * cells, (b + 1) * cells)) + 1e-6,
      );
    }
  }
});
