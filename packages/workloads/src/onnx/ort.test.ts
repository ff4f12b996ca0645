// The real part: both models, and every operator case, run in onnxruntime-web's wasm backend inside
// Node and agree with the independent reference within the job's tolerance.
import { CreateJobRequest, type TensorSpec } from '@bricolage/protocol';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, test } from 'vitest';
import { caseComparator, caseGraph, caseInputs, loadCases } from './cases';
import { firstMismatch } from './close';
import { encodeModel } from './codec';
import { unpackF32 } from './tensors';
import { cnn, physics } from './workload';

beforeAll(() => {
  // Node has no cross-origin isolation to negotiate; one thread keeps runs reproducible.
  ort.env.wasm.numThreads = 1;
});

const session = (model: Uint8Array) => ort.InferenceSession.create(model, { executionProviders: ['wasm'] });

const feeds = (specs: readonly TensorSpec[], tensors: readonly Float32Array[]) =>
  Object.fromEntries(specs.map((s, i) => [s.name, new ort.Tensor('float32', tensors[i] as Float32Array, s.shape)]));

describe.each(loadCases())('onnxruntime-web: $name', (c) => {
  test('matches the hand-computed output', async () => {
    const graph = caseGraph(c);
    const s = await session(encodeModel(graph));
    const out = await s.run(feeds(graph.inputs, caseInputs(c)));
    graph.outputs.forEach((spec, i) => {
      const t = out[spec.name];
      expect(t?.dims).toEqual(spec.shape);
      expect(firstMismatch(t?.data as Float32Array, c.expected[i]?.data ?? [], caseComparator(c))).toBeUndefined();
    });
    await s.release();
  });
});

describe.each([cnn, physics])('onnxruntime-web runs the $name model', (workload) => {
  test('and agrees with the CPU reference on every work unit within the job comparator', async () => {
    const { request, blobs } = await workload.job({ workUnits: 4 });
    const job = CreateJobRequest.parse(request);
    if (job.spec.kind !== 'onnx') throw new Error('expected an onnx job');
    const { inputs, outputs } = job.spec;
    const s = await session(blobs[0] as Uint8Array);
    expect(s.inputNames).toEqual(inputs.map((t) => t.name));
    expect(s.outputNames).toEqual(outputs.map((t) => t.name));
    for (const wu of workload.workUnits({ workUnits: 4, seed: 11 })) {
      const got = await s.run(feeds(inputs, unpackF32(wu.input, inputs)));
      const expected = unpackF32(workload.reference(wu.input), outputs);
      outputs.forEach((spec, i) => {
        const data = got[spec.name]?.data as Float32Array;
        expect(data.some(Number.isNaN)).toBe(false);
        expect(
          firstMismatch(data, expected[i] as Float32Array, job.comparator),
          `${wu.tag} ${spec.name}`,
        ).toBeUndefined();
      });
    }
    await s.release();
  });
});
