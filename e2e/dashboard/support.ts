// The dashboard's browser tests: a coordinator serving the built pages, a project, and a job's files on disk
// (the mandelbrot kernel, its wasm twin, a job.json and 1,000 tiles' inputs as NDJSON), as a researcher has them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import { type ProjectId, toBase64, type WorkUnitCounts } from '@bricolage/protocol';
import { type MandelbrotParams, mandelbrot } from '@bricolage/workloads';
import { readKernelFiles } from '@bricolage/workloads/node';
import { expect, type Page, type TestInfo } from '@playwright/test';

/** The whole set at a glance: 40 × 25 tiles of 64², 1,000 work units, quick ones (at most 48 iterations). */
export const FRAME: MandelbrotParams = {
  width: 40 * 64,
  height: 25 * 64,
  centerX: -0.55,
  centerY: 0,
  span: 2.8,
  maxIter: 48,
};

export const MANIFEST = {
  name: 'Mandelbrot overview',
  description: 'The whole set in 1,000 tiles of 64 × 64 pixels, tagged mandelbrot:<column>,<row>.',
  spec: {
    kind: 'wgsl',
    entryPoint: 'main',
    bindings: [
      { binding: 0, name: 'params', type: 'uniform', role: 'input', size: 48 },
      { binding: 1, name: 'iterations', type: 'read_write', role: 'output', size: 64 * 64 * 4 },
    ],
    dispatch: [8, 8, 1],
    forbidNaN: true,
  },
  comparator: { kind: 'float', rtol: 1e-6, atol: 1e-5 },
  redundancy: { minQuorum: 1, maxTotalResults: 3, maxErrorResults: 2, homogeneous: false },
  knownAnswerRate: 0,
  costPerWorkUnit: 0.2,
};

export interface JobFolder {
  readonly dir: string;
  readonly wgsl: string;
  readonly wasm: string;
  readonly manifest: string;
  readonly inputs: string;
  /** The source's lines, for tests that break one. */
  readonly source: string;
}

/** Writes a job folder: `overrides` replace manifest fields, `source` the WGSL. */
export function writeJobFolder(
  dir: string,
  options: { manifest?: Record<string, unknown>; source?: string; units?: number } = {},
): JobFolder {
  mkdirSync(dir, { recursive: true });
  const kernel = readKernelFiles('mandelbrot');
  if (!kernel) throw new Error('the mandelbrot kernel files are missing');
  const source = options.source ?? kernel.wgsl;
  const folder = {
    dir,
    wgsl: join(dir, 'mandelbrot.wgsl'),
    wasm: join(dir, 'mandelbrot.wasm'),
    manifest: join(dir, 'job.json'),
    inputs: join(dir, 'inputs.ndjson'),
    source,
  };
  writeFileSync(folder.wgsl, source);
  writeFileSync(folder.wasm, kernel.wasm);
  writeFileSync(folder.manifest, JSON.stringify({ ...MANIFEST, ...options.manifest }, null, 2));
  let lines = '';
  let n = 0;
  for (const wu of mandelbrot.workUnits(FRAME)) {
    if (n++ >= (options.units ?? 1000)) break;
    lines += `${JSON.stringify({ input: toBase64(wu.input), tag: wu.tag })}\n`;
  }
  writeFileSync(folder.inputs, lines);
  return folder;
}

/**
 * Screenshots of each state, kept in the test's output (test-results/) as PNG, and the main ones also in
 * `committed` as JPEG (a full dashboard page with a picture is ~900 KB as PNG, ~150 KB as JPEG).
 */
export function shooter(page: Page, info: TestInfo, committed: string) {
  return async (name: string, options: { keep?: boolean } = {}) => {
    await page.screenshot({ path: info.outputPath(`${name}.png`), fullPage: true, animations: 'disabled' });
    if (options.keep)
      await page.screenshot({
        path: join(committed, `${name}.jpeg`),
        type: 'jpeg',
        quality: 60,
        fullPage: true,
        animations: 'disabled',
      });
  };
}

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(`${url}/dashboard`);
  await page.getByLabel('Project token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('project-name')).toBeVisible();
}

/** The jobs of the project, as the coordinator's store has them: what a refused request must not have made. */
export async function jobsOf(coordinator: Coordinator, project: string): Promise<number> {
  return (await coordinator.store.listJobs(project as ProjectId)).length;
}

/** The project's one job's work units per state, as the coordinator's store counts them. */
export async function unitsOf(coordinator: Coordinator, project: string): Promise<WorkUnitCounts> {
  const [job, ...more] = await coordinator.store.listJobs(project as ProjectId);
  if (!job || more.length > 0) throw new Error('expected exactly one job');
  return (await coordinator.store.progress(job.id)).counts;
}
