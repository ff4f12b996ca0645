// The CI smoke test of `npm run bench:gpu`: the real command, on SwiftShader, with the tiny budget. It
// checks that the figures come out in the promised JSON shape and that every output was correct; the
// figures themselves are the bench's business (BENCHMARKS.md), not a test's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('prints one JSON line of figures for every workload, all correct, on SwiftShader', async () => {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/gpu/run.ts', '--json', '--budget', 'tiny', '--adapter', 'swiftshader'],
    { cwd: new URL('../..', import.meta.url).pathname, timeout: 240_000 },
  );
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const figures = JSON.parse(lines[0]!);
  expect(figures.adapter).toMatchObject({ architecture: 'swiftshader', isFallbackAdapter: true });
  expect(figures.budget).toBe('tiny');
  expect(figures.workloads.map((w: { name: string }) => w.name)).toEqual(['primes', 'primes past 2^40', 'mandelbrot']);
  for (const w of figures.workloads) {
    expect(w, w.name).toMatchObject({ correct: true, problems: [], ring: 4 });
    for (const key of [
      'executor_wu_per_s',
      'executor_serial_wu_per_s',
      'kernel_wu_per_s',
      'busy_fraction',
      'wasm_wu_per_s',
    ])
      expect(w[key], `${w.name} ${key}`).toBeGreaterThan(0);
  }
}, 300_000);
