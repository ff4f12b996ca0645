import { describe, expect, test } from 'vitest';
import { caseComparator, caseGraph, caseInputs, loadCases } from './cases';
import { firstMismatch } from './close';
import { type Graph, ints } from './graph';
import {
  MAX_DIFFUSION_NUMBER,
  PHYSICS_BATCH,
  PHYSICS_SIZE,
  PHYSICS_STEPS,
  physicsGraph,
  physicsInputs,
} from './physics';
import { mulberry32 } from './prng';
import { evaluateGraph } from './reference';
import { PHYSICS_COMPARATOR } from './workload';

describe.each(loadCases())('reference: $name', (c) => {
  test('matches the hand-computed output', () => {
    const got = evaluateGraph(caseGraph(c), caseInputs(c));
    c.expected.forEach((e, i) => {
      expect(firstMismatch(got[i] as Float32Array, e.data, caseComparator(c))).toBeUndefined();
    });
  });
});

describe('reference heat diffusion', () => {
  const s = PHYSICS_SIZE;
  const centre = s / 2;
  // r from 0.05 up to 0.225, all inside the stability bound.
  const r = Float32Array.from({ length: PHYSICS_BATCH }, (_, b) => 0.05 + 0.025 * b);
  const impulse = new Float32Array(PHYSICS_BATCH * s * s);
  for (let b = 0; b < PHYSICS_BATCH; b++) impulse[(b * s + centre) * s + centre] = 1;
  const [u, mean] = evaluateGraph(physicsGraph(), [impulse, r]) as [Float32Array, Float32Array];

  test('conserves heat while it has not reached the cold boundary', () => {
    // After K = 32 steps the impulse has spread 32 cells, reaching the edge but not past it.
    expect(PHYSICS_STEPS).toBeLessThanOrEqual(centre);
    for (const m of mean) expect(m).toBeCloseTo(1 / (s * s), 10);
  });

  test('spreads an impulse with variance 2rK per axis, as the discrete heat kernel does', () => {
    expect(MAX_DIFFUSION_NUMBER).toBe(0.25);
    for (let b = 0; b < PHYSICS_BATCH; b++) {
      let total = 0;
      let varX = 0;
      let varY = 0;
      for (let y = 0; y < s; y++)
        for (let x = 0; x < s; x++) {
          const v = u[(b * s + y) * s + x] as number;
          total += v;
          varX += v * (x - centre) ** 2;
          varY += v * (y - centre) ** 2;
        }
      const expected = 2 * (r[b] as number) * PHYSICS_STEPS;
      expect(varX / total).toBeCloseTo(expected, 4);
      expect(varY / total).toBeCloseTo(expected, 4);
    }
  });

  test('keeps the square symmetry of the impulse', () => {
    const at = (x: number, y: number) => u[(3 * s + y) * s + x] as number;
    for (let a = 0; a < centre; a++)
      for (let b = 0; b < centre; b++) {
        expect(at(centre + a, centre + b)).toBe(at(centre - a, centre + b));
        expect(at(centre + a, centre + b)).toBe(at(centre + b, centre + a));
      }
  });

  test('loses heat through the boundary once it gets there', () => {
    const corner = new Float32Array(PHYSICS_BATCH * s * s);
    for (let b = 0; b < PHYSICS_BATCH; b++) corner[b * s * s] = 1;
    const [, m] = evaluateGraph(physicsGraph(), [corner, r]) as [Float32Array, Float32Array];
    for (let b = 0; b < PHYSICS_BATCH; b++) expect(m[b] as number).toBeLessThan(1 / (s * s));
  });

  test('tells a run one time step short apart under the job comparator', () => {
    const inputs = physicsInputs(mulberry32(7));
    const [full] = evaluateGraph(physicsGraph(), inputs) as [Float32Array];
    const [short] = evaluateGraph(physicsGraph(PHYSICS_STEPS - 1), inputs) as [Float32Array];
    expect(firstMismatch(short, full, PHYSICS_COMPARATOR)).toBeDefined();
  });
});

describe('reference refuses what it does not implement', () => {
  const conv = (attributes: Graph['nodes'][number]['attributes']): Graph => ({
    name: 'g',
    inputs: [
      { name: 'x', dtype: 'float32', shape: [1, 1, 4, 4] },
      { name: 'w', dtype: 'float32', shape: [1, 1, 3, 3] },
    ],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 1, 2, 2] }],
    initializers: [],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], ...(attributes ? { attributes } : {}) }],
  });
  const inputs = [new Float32Array(16), new Float32Array(9)];

  test('an attribute value it does not support', () => {
    expect(() => evaluateGraph(conv({ dilations: ints(2, 2) }), inputs)).toThrow(/dilation/);
  });

  test('an attribute it does not know', () => {
    expect(() => evaluateGraph(conv({ kernel_layout: ints(1) }), inputs)).toThrow(/kernel_layout/);
  });

  test('an op it does not know', () => {
    const g = conv(undefined);
    expect(() => evaluateGraph({ ...g, nodes: [{ op: 'Tanh', inputs: ['x'], outputs: ['y'] }] }, inputs)).toThrow(
      /Tanh/,
    );
  });

  test('inputs of the wrong size', () => {
    expect(() => evaluateGraph(conv(undefined), [new Float32Array(15), new Float32Array(9)])).toThrow(/wrong length/);
  });
});
