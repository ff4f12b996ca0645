import type { WgslSpec } from '@bricolage/protocol';
import { mandelbrot, primes } from '@bricolage/workloads';
import { buildJob, readMandelbrotWgsl, readPrimesWgsl } from '@bricolage/workloads/node';
import { describe, expect, it } from 'vitest';
import { SQUARE_WGSL, squareJob } from '../testing/fixtures';
import { wgslProblem } from './wgsl';

const square = squareJob().spec as WgslSpec;
const withBindings = (bindings: WgslSpec['bindings']): WgslSpec => ({ ...square, bindings });

describe('wgslProblem', () => {
  it("accepts the shipped kernels against their own jobs' specs", async () => {
    const p = (await buildJob(primes, { limit: 1_000_000, segment: 2 ** 17 })).request.spec as WgslSpec;
    const m = (await buildJob(mandelbrot, { width: 64, height: 64, centerX: 0, centerY: 0, span: 1, maxIter: 16 }))
      .request.spec as WgslSpec;
    expect(wgslProblem(readPrimesWgsl(), p)).toBeNull();
    expect(wgslProblem(readMandelbrotWgsl(), m)).toBeNull();
    expect(wgslProblem(SQUARE_WGSL, square)).toBeNull();
  });

  it('names the line of a syntax error', () => {
    const broken = SQUARE_WGSL.replace(
      'ys[id.x] = xs[id.x] * xs[id.x];',
      'ys[id.x] = xs[id.x] * xs[id.x]\n  ys[0] = 1u;',
    );
    expect(wgslProblem(broken, square)).toBe("WGSL line 5: Expected ';' after statement");
  });

  it('names the line of what it could not read as a declaration', () => {
    expect(wgslProblem(`${SQUARE_WGSL}\nfun helper() {}\n`, square)).toBe(
      'WGSL line 7: unexpected `fun` where a declaration should be',
    );
    expect(wgslProblem('this is not WGSL', square)).toBe(
      'WGSL line 1: unexpected `this` where a declaration should be',
    );
  });

  it('refuses a missing entry point, or one that is not @compute', () => {
    expect(wgslProblem(SQUARE_WGSL, { ...square, entryPoint: 'run' })).toBe(
      'WGSL has no @compute entry point run (it has main)',
    );
    const plain = SQUARE_WGSL.replace('@compute @workgroup_size(4) fn main', 'fn main');
    expect(wgslProblem(plain, square)).toBe('WGSL line 3: function main is not a @compute entry point');
  });

  it('refuses a binding whose type differs from the WGSL, naming both and the line', () => {
    const [xs, ys] = square.bindings as [WgslSpec['bindings'][0], WgslSpec['bindings'][0]];
    expect(wgslProblem(SQUARE_WGSL, withBindings([{ ...xs, type: 'uniform' }, ys]))).toBe(
      'spec.bindings: binding 0 (xs) is uniform in the spec but var<storage, read> xs at WGSL line 1',
    );
  });

  it('refuses a spec binding the WGSL does not declare, and a used WGSL binding the spec lacks', () => {
    const [xs, ys] = square.bindings as [WgslSpec['bindings'][0], WgslSpec['bindings'][0]];
    expect(wgslProblem(SQUARE_WGSL, withBindings([xs, ys, { ...ys, binding: 5, name: 'extra' }]))).toBe(
      'spec.bindings: binding 5 (extra) is not declared in the WGSL (no @group(0) @binding(5))',
    );
    expect(wgslProblem(SQUARE_WGSL, withBindings([{ ...xs, binding: 3 }, ys]))).toBe(
      'xs at WGSL line 1 (@binding(0)) is used by main but not declared in spec.bindings',
    );
  });

  it('refuses bindings outside group 0, and a binding smaller than its WGSL type', () => {
    const grouped = SQUARE_WGSL.replace('@group(0) @binding(0)', '@group(1) @binding(0)');
    expect(wgslProblem(grouped, square)).toBe('xs at WGSL line 1 is in @group(1); the runtime binds @group(0) only');
    const [xs, ys] = square.bindings as [WgslSpec['bindings'][0], WgslSpec['bindings'][0]];
    expect(wgslProblem(SQUARE_WGSL, withBindings([{ ...xs, size: 8 }, ys]))).toBe(
      'spec.bindings: binding 0 (xs) is 8 bytes, smaller than its WGSL type (16 bytes) xs at WGSL line 1',
    );
  });
});
