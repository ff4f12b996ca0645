import type { OnnxSpec } from '@bricolage/protocol';
import { buildCnnModel, cnnGraph, encodeModel } from '@bricolage/workloads';
import { loadOcrModels } from '@bricolage/workloads/node';
import { describe, expect, it } from 'vitest';
import { onnxModelProblem } from './onnx';

/** Each tensor's shape as its job gives it (the cnn workload's, the OCR jobs'); [1] for names no model has. */
const SHAPES: Record<string, number[]> = {
  images: [1, 1, 16, 16],
  probabilities: [1, 10],
  image: [1, 640, 640],
  prob: [1, 1, 160, 160],
};
const spec = (inputs: string[], outputs: string[], shapes: Record<string, number[]> = SHAPES): OnnxSpec => ({
  kind: 'onnx',
  model: 'a'.repeat(64) as never,
  inputs: inputs.map((name) => ({ name, dtype: 'float32', shape: shapes[name] ?? [1] })),
  outputs: outputs.map((name) => ({ name, dtype: 'float32', shape: shapes[name] ?? [1] })),
  forbidNaN: false,
});

describe('an ONNX job’s model at admission', () => {
  it('admits a model whose graph has the inputs and outputs the spec names: built here, and pretrained', () => {
    expect(onnxModelProblem(spec(['images'], ['probabilities']), buildCnnModel())).toBeNull();
    // The OCR jobs' models (pretrained, from npm, after the workload's surgery), with their jobs' tensor names.
    const ocr = loadOcrModels();
    expect(onnxModelProblem(spec(['image'], ['prob']), ocr.detection)).toBeNull();
    const recognition = { image: [8, 48, 640], classes: [8, 40] };
    expect(onnxModelProblem(spec(['image'], ['classes'], recognition), ocr.recognition)).toBeNull();
  });

  it('refuses shapes the model contradicts, which would fail every unit at the volunteers', () => {
    // The model's images are [?, 1, 16, 16]: any number of them, each 1 × 16 × 16.
    expect(
      onnxModelProblem(
        spec(['images'], ['probabilities'], { images: [8, 1, 16, 16], probabilities: [8, 10] }),
        buildCnnModel(),
      ),
    ).toBeNull();
    expect(
      onnxModelProblem(
        spec(['images'], ['probabilities'], { images: [8, 1, 8, 8], probabilities: [8, 10, 1] }),
        buildCnnModel(),
      )?.message,
    ).toBe(
      "spec.model: the spec's shapes do not fit the model: input images is [?, 1, 16, 16] in the model, not [8, 1, 8, 8]; output probabilities is [?, 10] in the model, not [8, 10, 1]",
    );
  });

  it('admits a stackable job only on a model whose inputs and outputs take any size first', () => {
    const stackable = { ...spec(['images'], ['probabilities']), stackable: true };
    expect(onnxModelProblem(stackable, buildCnnModel())).toBeNull();
    const fixed = encodeModel({ ...cnnGraph(), stacked: undefined });
    expect(onnxModelProblem(stackable, fixed)?.message).toBe(
      "spec.stackable: the model's input images, output probabilities have a fixed first dimension; stacking units needs a symbolic one (or set stackable to false)",
    );
    expect(
      onnxModelProblem(spec(['images'], ['probabilities'], { images: [8, 1, 16, 16], probabilities: [8, 10] }), fixed),
    ).toBeNull();
  });

  it('refuses bytes that are not an ONNX model', () => {
    const random = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) & 0xff);
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('hello\n'), random]) {
      expect(onnxModelProblem(spec(['images'], ['probabilities']), bytes)?.message).toMatch(
        /^spec\.model: not an ONNX model/,
      );
    }
  });

  it('refuses a model without the tensors the spec names, listing what it has', () => {
    expect(onnxModelProblem(spec(['pixels'], ['probabilities', 'logits']), buildCnnModel())?.message).toBe(
      "spec.model: the model's graph has no input pixels, output logits (its inputs: images; its outputs: probabilities)",
    );
  });
});
