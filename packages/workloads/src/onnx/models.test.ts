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
  cnn: '7e37446f3d2849fa27c8bd2d2039e17a5cc089d38b293b85cd84951e7c9b9b7c',
  physics: '9a4b45f983fbbd8480fecb5ee8ad704616b4361818de1780360a306add9fd492',
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
    expect(encodeModel(decodeModel(bytes, { samples: 8 }))).toEqual(bytes);
  });

  test('takes any number of samples (a symbolic first dimension), and says how many one unit holds', () => {
    const bytes = build();
    const decoded = decodeModel(bytes, { samples: 8 });
    expect(decoded.stacked).toBe('samples');
    expect([...decoded.inputs, ...decoded.outputs].map((t) => t.shape)).toEqual(
      [...graph().inputs, ...graph().outputs].map((t) => t.shape),
    );
    // Without the size of one unit the shapes are not known: said, not guessed.
    expect(() => decodeModel(bytes)).toThrow(/symbolic dimensions are supported first only/);
  });

  test('keeps the weights of the in-memory graph exactly', () => {
    const decoded = decodeModel(build(), { samples: 8 });
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
