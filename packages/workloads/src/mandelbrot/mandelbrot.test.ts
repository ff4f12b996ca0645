// mandelbrot: the reference against hand-checkable cases, the wasm twin against the reference within
// the job's tolerance, and the job the workload submits.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CreateJobRequest, ioSizes, sha256Hex } from '@bricolage/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildJob, readMandelbrotWgsl } from '../kernel-files';
import { compileAbi, runAbi } from '../wasm-abi/host';
import { readWasm } from '../wasm-abi/node';
import { encodeTile, frameProblem, frameTile, TILE, type TileParams, toQ } from './layout';
import { mandelbrotReference, smoothCount } from './reference';
import { MANDELBROT_COMPARATOR, MANDELBROT_DEEP_ZOOM, mandelbrot } from './workload';

interface Cases {
  points: { name: string; c: [number, number]; maxIter: number; expected: number }[];
  grid: {
    origin: [number, number];
    step: [number, number];
    maxIter: number;
    pixels: { px: number; py: number; expected: number }[];
  };
}
const cases: Cases = JSON.parse(
  readFileSync(new URL('./cases.jsonc', import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
);

const { rtol, atol } = MANDELBROT_COMPARATOR.kind === 'float' ? MANDELBROT_COMPARATOR : { rtol: 0, atol: 0 };
/** The coordinator's float rule: |a − b| ≤ atol + rtol·max(|a|, |b|). */
const agrees = (a: number, b: number) => Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b));
const floats = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);

/** Largest differences between two tiles, and how many pixels the comparator would reject. */
function compare(a: Float32Array, b: Float32Array) {
  let maxAbs = 0;
  let maxRel = 0;
  let differing = 0;
  let rejected = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x === y) continue;
    differing++;
    if (!agrees(x, y)) rejected++;
    maxAbs = Math.max(maxAbs, Math.abs(x - y));
    maxRel = Math.max(maxRel, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));
  }
  return { maxAbs, maxRel, differing, rejected };
}

const uniformTile = (cx: number, cy: number, maxIter: number): TileParams => ({
  x0: toQ(cx),
  y0: toQ(cy),
  dx: 0n,
  dy: 0n,
  maxIter,
});

let wasm: WebAssembly.Module;
beforeAll(() => {
  execFileSync(process.execPath, [new URL('../../scripts/build-wasm.mjs', import.meta.url).pathname]);
  wasm = compileAbi(readWasm('mandelbrot'));
});

describe('mandelbrot reference', () => {
  it.each(cases.points)('$name', ({ c, maxIter, expected }) => {
    expect(smoothCount(toQ(c[0]), toQ(c[1]), maxIter)).toBe(expected);
  });

  it('addresses pixels by column and row, with imaginary parts falling downwards', () => {
    const { origin, step, maxIter, pixels } = cases.grid;
    const tile = { x0: toQ(origin[0]), y0: toQ(origin[1]), dx: toQ(step[0]), dy: toQ(step[1]), maxIter };
    const out = floats(mandelbrotReference(encodeTile(tile)));
    for (const { px, py, expected } of pixels) expect(out[py * TILE + px], `(${px}, ${py})`).toBe(expected);
  });
});

describe('mandelbrot wasm twin', () => {
  it('imports nothing and exports the ABI', () => {
    expect(WebAssembly.Module.imports(wasm)).toHaveLength(0);
    expect(
      WebAssembly.Module.exports(wasm)
        .map((e) => e.name)
        .sort(),
    ).toEqual(['input_ptr', 'memory', 'output_ptr', 'run']);
  });

  it.each(cases.points)('$name', ({ c, maxIter, expected }) => {
    const out = floats(runAbi(wasm, encodeTile(uniformTile(c[0], c[1], maxIter))));
    expect(out.every((v) => agrees(v, expected))).toBe(true);
  });

  it('matches the grid case pixel by pixel', () => {
    const { origin, step, maxIter, pixels } = cases.grid;
    const tile = { x0: toQ(origin[0]), y0: toQ(origin[1]), dx: toQ(step[0]), dy: toQ(step[1]), maxIter };
    const out = floats(runAbi(wasm, encodeTile(tile)));
    for (const { px, py, expected } of pixels)
      expect(agrees(out[py * TILE + px] as number, expected), `(${px}, ${py})`).toBe(true);
  });

  // The measurement behind MANDELBROT_COMPARATOR: escape steps must agree exactly (any fixed-point
  // slip would move pixels by whole units), leaving one-ulp differences from the f32 log2.
  it('agrees with the reference within the comparator on deep-zoom tiles', () => {
    for (const [tx, ty] of [
      [3, 2],
      [9, 7],
    ] as const) {
      const input = encodeTile(frameTile(MANDELBROT_DEEP_ZOOM, tx, ty));
      const diff = compare(floats(runAbi(wasm, input)), floats(mandelbrotReference(input)));
      expect(diff.rejected, `tile ${tx},${ty}`).toBe(0);
      expect(diff.maxRel).toBeLessThanOrEqual(2 ** -22);
    }
  });

  it('agrees with the reference on random shallow tiles across the whole set', () => {
    let seed = 0xc0ffee;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let k = 0; k < 8; k++) {
      const step = 2 ** -(5 + Math.floor(next() * 30));
      const x0 = -2 + next() * (4 - TILE * step);
      const y0 = 2 - next() * (4 - TILE * step);
      const input = encodeTile({ x0: toQ(x0), y0: toQ(y0), dx: toQ(step), dy: -toQ(step), maxIter: 300 });
      const diff = compare(floats(runAbi(wasm, input)), floats(mandelbrotReference(input)));
      expect(diff.rejected, `tile at ${x0} + ${y0}i, step ${step}`).toBe(0);
    }
  });

  it('reports an input of the wrong size as a negative code', () => {
    expect(() => runAbi(wasm, new Uint8Array(40))).toThrow(/error -1/);
  });
});

describe('mandelbrot workload', () => {
  const params = { ...MANDELBROT_DEEP_ZOOM, width: 256, height: 128, maxIter: 64, knownAnswerEvery: 3 };

  it('zooms past what f32 resolves: neighbouring pixels share one f32 coordinate', () => {
    const tile = frameTile(MANDELBROT_DEEP_ZOOM, 8, 6);
    const x = Number(tile.x0) / 2 ** 56;
    expect(Math.fround(x)).toBe(Math.fround(x + (Number(tile.dx) / 2 ** 56) * 16));
  });

  it('submits a valid wgsl job whose sizes match its work units and whose hashes match its blobs', async () => {
    const { request, blobs } = await buildJob(mandelbrot, params);
    const job = CreateJobRequest.parse(request);
    if (job.spec.kind !== 'wgsl') throw new Error('expected a wgsl job');
    expect(job.comparator).toEqual(MANDELBROT_COMPARATOR);
    expect(job.spec.dispatch).toEqual([8, 8, 1]);
    expect(job.spec.forbidNaN).toBe(true);
    expect(job.spec.shader).toBe(await sha256Hex(new TextEncoder().encode(readMandelbrotWgsl())));
    expect(await Promise.all(blobs.map((b) => sha256Hex(b)))).toEqual([job.spec.shader, job.spec.wasm?.module]);
    const sizes = ioSizes(job.spec);
    const first = mandelbrot.workUnits(params)[Symbol.iterator]().next().value;
    expect(first?.input.length).toBe(sizes.input);
    expect(runAbi(wasm, first!.input).length).toBe(sizes.output);
  });

  it('covers the frame in tagged tiles once, the known-answer ones among them carrying the reference', () => {
    // Tiles 0, 3 and 5 are drawn (a draw under 1/3), the rest not.
    const draws = [0.1, 0.5, 0.9, 0.2, 0.4, 0.3, 0.7, 0.6];
    const wus = [...mandelbrot.workUnits({ ...params, random: () => draws.shift() as number })];
    expect(wus).toHaveLength(8);
    expect(wus.map((wu) => wu.tag).slice(0, 5)).toEqual([
      'mandelbrot:0,0',
      'mandelbrot:1,0',
      'mandelbrot:2,0',
      'mandelbrot:3,0',
      'mandelbrot:0,1',
    ]);
    const known = wus.filter((wu) => wu.expected);
    expect(known.map((wu) => wu.tag)).toEqual(['mandelbrot:0,0', 'mandelbrot:3,0', 'mandelbrot:1,1']);
    expect(new Set(wus.map((wu) => wu.input.join())).size).toBe(wus.length);
    for (const wu of known) expect(compare(floats(runAbi(wasm, wu.input)), floats(wu.expected!)).rejected).toBe(0);
  });

  it('refuses frames the fixed-point range or resolution cannot hold', () => {
    expect(frameProblem(MANDELBROT_DEEP_ZOOM)).toBeNull();
    expect(frameProblem({ ...MANDELBROT_DEEP_ZOOM, centerX: -1.5, span: 3 })).toMatch(/\[-2, 2\]/);
    expect(frameProblem({ ...MANDELBROT_DEEP_ZOOM, span: 1e-13 })).toMatch(/too deep/);
    expect(frameProblem({ ...MANDELBROT_DEEP_ZOOM, width: 1000 })).toMatch(/multiple of 64/);
    expect(() => [...mandelbrot.workUnits({ ...MANDELBROT_DEEP_ZOOM, maxIter: 0 })]).toThrow(RangeError);
  });
});
