// Node only (reached through `@bricolage/workloads/node`): a WGSL workload's kernel files read from
// disk — its source beside the workload, its wasm twin from dist/ — and jobs built with them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWasm } from './wasm-abi/node';
import type { JobBundle, KernelFiles, Workload } from './workload';

const wgslPath = (name: string): string => {
  if (!/^[a-z0-9-]+$/.test(name)) throw new RangeError(`invalid workload name: ${name}`);
  return join(import.meta.dirname, name, `${name}.wgsl`);
};

/** The source of src/<name>/<name>.wgsl. */
export const readWgsl = (name: string): string => readFileSync(wgslPath(name), 'utf8');
export const readPrimesWgsl = (): string => readWgsl('primes');
export const readMandelbrotWgsl = (): string => readWgsl('mandelbrot');

/** The WGSL source and wasm twin of a workload, or undefined for one without a kernel (the ONNX workloads). */
export function readKernelFiles(name: string): KernelFiles | undefined {
  if (!existsSync(wgslPath(name))) return undefined;
  return { wgsl: readWgsl(name), wasm: readWasm(name) };
}

/** `workload.job(params)` with its kernel files read from disk. */
export function buildJob<Params>(workload: Workload<Params>, params: Params): Promise<JobBundle> {
  return workload.job(params, readKernelFiles(workload.name));
}
