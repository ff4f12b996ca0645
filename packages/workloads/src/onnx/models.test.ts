import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@bricolage/protocol';
import { describe, expect, test } from 'vitest';
import { buildCnnModel, cnnGraph } from './cnn';
import { decodeModel, encodeModel } from './codec';
import { OPSET } from './graph';
import { modelPath } from './node';
import { buildPhysicsModel, PHYSICS_STEPS, physicsGraph } from './physics';

// Pinned so that a change to the weights, the graph or the encoder cannot slip by: the hash is the
// model's identity in every job that uses it. Update deliberately, never to make the test pass.
const PINNED = {
  cnn: '53162b458a024ef5dc7b2ee26e1a0aa3e747a2badf36d0b2270272dbba75bef1',
  physics: '89e2c09ed0a8e0a9c3cde41ab9c9897a4f9b176139de5004b799920b96554d5d',
};

const models = [
  { name: 'cnn', build: buildCnnModel, graph: cnnGraph },
  { name: 'physics', build: buildPhysicsModel, graph: physicsGraph },
] as const;

describe.each(models)('the $name model', ({ name, build, graph }) => {
  test('is byte-identical across builds', () => {
    expect(build()).toEqual(build());
  });

  test('has the pinned SHA-256', async () => {
    expect(await sha256Hex(build())).toBe(PINNED[name]);
  });

  test('decodes to a graph that re-encodes to the same bytes', () => {
    const bytes = build();
    expect(encodeModel(decodeModel(bytes))).toEqual(bytes);
  });

  test('keeps the weights of the in-memory graph exactly', () => {
    const decoded = decodeModel(build());
    const original = graph();
    expect(decoded.initializers.map((t) => [t.name, t.dims, Array.from(t.data)])).toEqual(
      original.initializers.map((t) => [t.name, t.dims, Array.from(t.data)]),
    );
  });
});

test('the cnn model is the documented network', () => {
  expect(cnnGraph().nodes.map((n) => n.op)).toEqual([
    'Conv',
    'Relu',
    'MaxPool',
    'Conv',
    'Relu',
    'GlobalAveragePool',
    'Flatten',
    'Gemm',
    'Softmax',
  ]);
  expect(OPSET).toBe(13);
});

test('the physics model unrolls one Conv, Mul and Add per time step, then a mean', () => {
  const ops = physicsGraph().nodes.map((n) => n.op);
  expect(ops).toHaveLength(3 * PHYSICS_STEPS + 1);
  expect(new Set(ops)).toEqual(new Set(['Conv', 'Mul', 'Add', 'GlobalAveragePool']));
});

test('the build script writes the built models and leaves unchanged files alone', () => {
  const out = mkdtempSync(join(tmpdir(), 'bricolage-models-'));
  const script = join(import.meta.dirname, '../../scripts/build-models.ts');
  // Through node's own loader hook rather than npx, which costs a second per call.
  const run = () => execFileSync(process.execPath, ['--import', 'tsx', script, '--out', out], { encoding: 'utf8' });
  expect(run()).toMatch(/cnn\.onnx .* written/);
  expect(run()).toMatch(/cnn\.onnx .* unchanged/);
  expect(new Uint8Array(readFileSync(join(out, 'cnn.onnx')))).toEqual(buildCnnModel());
  expect(new Uint8Array(readFileSync(join(out, 'physics.onnx')))).toEqual(buildPhysicsModel());
});

test('modelPath points into the package dist/models folder', () => {
  expect(modelPath('physics')).toBe(join(import.meta.dirname, '../../dist/models/physics.onnx'));
});
