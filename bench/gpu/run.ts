// GPU benchmark (`npm run bench:gpu`, not a timed test): the runtime's WGSL executor in Node on Dawn
// (npm `webgpu`), on the machine's GPU or on SwiftShader, per workload: units per second through the
// executor (its ring of units in flight, and one at a time), the kernel alone, their ratio (the GPU's
// busy fraction), the wasm twin on one core, and correctness against the CPU reference.
//
//   npm run bench:gpu [-- --json] [--budget tiny|software|gpu] [--adapter auto|swiftshader]
//                     [--only NAME] [--kernels FILE] [--write-kernels FILE]
//
// `--json` ends with one line: { adapter, driver, budget, workloads: [{ name, executor_wu_per_s,
// kernel_wu_per_s, busy_fraction, wasm_wu_per_s, correct, … }] }. `--write-kernels` saves the kernel
// files so that a bundle of this script runs where the workloads folder is not (bench/gpu/device-run.sh).
import { readFileSync, writeFileSync } from 'node:fs';
import { fromBase64, toBase64 } from '@bricolage/protocol';
import { type DawnAdapter, GpuContext, installDawn } from '@bricolage/runtime/node';
import type { KernelFiles } from '@bricolage/workloads';
import { readKernelFiles } from '@bricolage/workloads/node';
import { type BudgetName, BUDGETS, gpuCases } from './cases';
import { benchCase, type GpuFigures } from './core';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const JSON_OUTPUT = flag('json');
const log = (line: string) => (JSON_OUTPUT ? console.error(line) : console.log(line));
const fmt = (n: number | null, digits = 2) => (n === null ? 'n/a' : n.toFixed(digits));

type Kernels = Record<'primes' | 'mandelbrot', KernelFiles>;

function kernels(): Kernels {
  const file = option('kernels');
  if (file) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { wgsl: string; wasm: string }>;
    const load = (name: string) => ({ wgsl: saved[name]!.wgsl, wasm: fromBase64(saved[name]!.wasm) });
    return { primes: load('primes'), mandelbrot: load('mandelbrot') };
  }
  const read = (name: string) => {
    const files = readKernelFiles(name);
    if (!files) throw new Error(`no kernel files for ${name}`);
    return files;
  };
  return { primes: read('primes'), mandelbrot: read('mandelbrot') };
}

async function main(): Promise<void> {
  const written = option('write-kernels');
  if (written) {
    const k = kernels();
    const json = Object.fromEntries(Object.entries(k).map(([n, f]) => [n, { wgsl: f.wgsl, wasm: toBase64(f.wasm) }]));
    writeFileSync(written, JSON.stringify(json));
    log(`kernel files written to ${written}`);
    return;
  }
  const setup = await installDawn((option('adapter') ?? 'auto') as DawnAdapter);
  const gpu = new GpuContext();
  const capability = await gpu.capability();
  if (!capability) throw new Error('WebGPU: no adapter (Dawn found no Vulkan driver)');
  const budget = (option('budget') ?? (capability.isFallbackAdapter ? 'software' : 'gpu')) as BudgetName;
  if (!(budget in BUDGETS)) throw new Error(`--budget must be one of ${Object.keys(BUDGETS).join(', ')}`);
  const adapter = {
    vendor: capability.vendor,
    architecture: capability.architecture,
    description: capability.description,
    isFallbackAdapter: capability.isFallbackAdapter,
  };
  log(
    `adapter: ${adapter.vendor}/${adapter.architecture} ${adapter.description}${adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}, ` +
      `driver ${setup.driver}, budget ${budget}`,
  );
  const only = option('only');
  const workloads: GpuFigures[] = [];
  for (const c of await gpuCases(kernels(), budget)) {
    if (only && c.name !== only) continue;
    const f = await benchCase(c, BUDGETS[budget], gpu);
    workloads.push(f);
    log(
      `${f.name}: executor ${fmt(f.executor_wu_per_s)} WU/s (ring of ${f.ring}; one at a time ${fmt(f.executor_serial_wu_per_s)}), ` +
        `kernel only ${fmt(f.kernel_wu_per_s)} WU/s, busy fraction ${fmt(f.busy_fraction, 3)}, ` +
        `wasm twin on one core ${fmt(f.wasm_wu_per_s)} WU/s, ${f.correct ? 'correct' : `WRONG: ${f.problems.join('; ')}`}`,
    );
  }
  gpu.destroy();
  if (JSON_OUTPUT) console.log(JSON.stringify({ adapter, driver: setup.driver, budget, workloads }));
  if (workloads.some((w) => !w.correct)) process.exitCode = 2;
}

main().then(
  // Dawn keeps its instance alive: leave once the figures are out.
  () => process.exit(process.exitCode ?? 0),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
