// The workloads `npm run bench:gpu` measures, built from their kernel files (passed in, so that the
// bundle for the GPU machine needs no workloads folder on disk), sized by budget.
import { sha256Hex, type WgslSpec } from '@bricolage/protocol';
import {
  type KernelFiles,
  MANDELBROT_COMPARATOR,
  MANDELBROT_DEEP_ZOOM,
  mandelbrot,
  primes,
  type Workload,
} from '@bricolage/workloads';
import type { GpuBudget, GpuCase } from './core';

export type BudgetName = 'tiny' | 'software' | 'gpu';

/** tiny: the CI smoke test; software: SwiftShader's few units a second; gpu: GPU.md's figures on an H200. */
export const BUDGETS: Record<BudgetName, GpuBudget & { segment: number; maxIter: number }> = {
  tiny: { units: 3, dispatches: 3, wasmUnits: 1, segment: 2 ** 18, maxIter: 64 },
  software: { units: 8, dispatches: 8, wasmUnits: 8, segment: 2 ** 22, maxIter: 256 },
  gpu: { units: 400, dispatches: 200, wasmUnits: 8, segment: 2 ** 24, maxIter: 4096 },
};

async function caseOf<P>(
  name: string,
  workload: Workload<P>,
  params: P,
  kernel: KernelFiles,
  units: number,
  comparator: GpuCase['comparator'],
): Promise<GpuCase> {
  const { request, blobs } = await workload.job(params, kernel);
  const assets = new Map(await Promise.all(blobs.map(async (b) => [await sha256Hex(b), b] as const)));
  const inputs = [...take(workload.workUnits(params), units)].map((u) => u.input);
  return { name, spec: request.spec as WgslSpec, assets, inputs, reference: workload.reference, comparator };
}

function* take<T>(items: Iterable<T>, n: number): Iterable<T> {
  if (n <= 0) return;
  for (const item of items) {
    yield item;
    if (--n <= 0) return;
  }
}

export async function gpuCases(kernels: Record<'primes' | 'mandelbrot', KernelFiles>, budget: BudgetName) {
  const { segment, maxIter, units } = BUDGETS[budget];
  // Distinct inputs, at most 16 of them: enough that no cache can hold the answer, few enough to check.
  const distinct = Math.min(units, 16);
  return [
    await caseOf('primes', primes, { limit: 2 ** 31, segment }, kernels.primes, distinct, { kind: 'exact' }),
    await caseOf(
      'primes past 2^40',
      primes,
      { limit: 2 ** 40 + 64 * segment, from: 2 ** 40, segment },
      kernels.primes,
      distinct,
      { kind: 'exact' },
    ),
    await caseOf(
      'mandelbrot',
      mandelbrot,
      { ...MANDELBROT_DEEP_ZOOM, maxIter },
      kernels.mandelbrot,
      distinct,
      MANDELBROT_COMPARATOR,
    ),
  ];
}
