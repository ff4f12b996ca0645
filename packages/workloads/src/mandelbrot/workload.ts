// The `mandelbrot` workload: a deep-zoom frame rendered tile by tile, each work unit the smooth
// escape counts of one 64×64 tile in Q8.56 fixed point, on WebGPU (mandelbrot.wgsl) or WebAssembly.
import type { Comparator } from '@bricolage/protocol';
import { sha256Hex, utf8 } from '@bricolage/protocol';
import { checkKnownAnswers, type KnownAnswerOptions, knownAnswerDraw } from '../known-answers';
import { type JobBundle, type KernelFiles, requireKernel, type WorkUnitInput, type Workload } from '../workload';
import { encodeTile, type Frame, frameProblem, frameTile, OUTPUT_BYTES, PARAMS_BYTES, TILE } from './layout';
import { mandelbrotReference } from './reference';

/** Known-answer units (`knownAnswerEvery`): tiles drawn at random, see known-answers.ts. */
export interface MandelbrotParams extends Frame, KnownAnswerOptions {}

/**
 * Seahorse valley at a width of 1e-9: pixels 1e-12 apart, where f32 (spacing 6e-8 near 0.74)
 * sees one point; every pixel escapes after 1000–4000 steps, 0.4–0.9 s of wasm per tile on 2 cores.
 */
export const MANDELBROT_DEEP_ZOOM: MandelbrotParams = {
  width: 1024,
  height: 768,
  centerX: -0.743643887037151,
  centerY: 0.13182590420533,
  span: 1e-9,
  maxIter: 4096,
};

/*
 * Tolerance. Escape counts are exact integers on every backend (fixed-point arithmetic), so
 * replicas differ only through the f32 log2 in n + 2 − log2(log2 |z|²). WGSL lets log2 be off by
 * 3 ulps (|z|² ∈ (4, 72], so ≈ 2e-6 on the smoothing term), which can flip the rounding of the
 * final sum by an ulp: 2^-23 relative, 1.2e-4 at n ≈ 1000. Measured against the f64 reference over
 * 48 deep tiles and 60 random shallow ones (≈ 440k pixels), the wasm twin differs by at most
 * 1.4e-7 relative (two ulps); SwiftShader's WebGPU, on the 10 tiles run there, by 2.0e-7. rtol =
 * 1e-6 leaves 5× headroom over that; atol = 1e-5 covers the log error where counts are small. A
 * wrong escape step moves a pixel by ≥ 0.3, four orders of magnitude more than either.
 */
export const MANDELBROT_COMPARATOR: Comparator = { kind: 'float', rtol: 1e-6, atol: 1e-5 };

function check(params: MandelbrotParams): void {
  const problem = frameProblem(params);
  if (problem) throw new RangeError(problem);
  checkKnownAnswers(params);
}

export const mandelbrot: Workload<MandelbrotParams> = {
  name: 'mandelbrot',

  async job(params: MandelbrotParams, kernel?: KernelFiles): Promise<JobBundle> {
    check(params);
    const { wgsl, wasm } = requireKernel('mandelbrot', kernel);
    const shader = utf8(wgsl);
    return {
      request: {
        name: `Mandelbrot ${params.width}×${params.height} at ${params.centerX} + ${params.centerY}i, width ${params.span}`,
        description:
          `Smooth escape counts (f32, -1 inside) of ${TILE}×${TILE}-pixel tiles, up to ${params.maxIter} ` +
          'iterations in Q8.56 fixed point. Tags are `mandelbrot:<column>,<row>` of the tile.',
        spec: {
          kind: 'wgsl',
          shader: await sha256Hex(shader),
          entryPoint: 'main',
          bindings: [
            { binding: 0, name: 'params', type: 'uniform', role: 'input', size: PARAMS_BYTES },
            { binding: 1, name: 'iterations', type: 'read_write', role: 'output', size: OUTPUT_BYTES },
          ],
          dispatch: [TILE / 8, TILE / 8, 1],
          wasm: { module: await sha256Hex(wasm), export: 'run' },
          forbidNaN: true,
        },
        comparator: MANDELBROT_COMPARATOR,
        redundancy: { minQuorum: 2, maxTotalResults: 6, maxErrorResults: 3, homogeneous: false },
        // One credit per million escape-loop steps at the worst case (every pixel runs maxIter).
        costPerWorkUnit: (TILE * TILE * params.maxIter) / 1e6,
      },
      blobs: [shader, wasm],
    };
  },

  *workUnits(params: MandelbrotParams): Iterable<WorkUnitInput> {
    check(params);
    const known = knownAnswerDraw(params);
    for (let ty = 0; ty < params.height / TILE; ty++)
      for (let tx = 0; tx < params.width / TILE; tx++) {
        const input = encodeTile(frameTile(params, tx, ty));
        const tag = `mandelbrot:${tx},${ty}`;
        yield known() ? { input, tag, expected: mandelbrotReference(input) } : { input, tag };
      }
  },

  reference: mandelbrotReference,
};
