// The researcher's whole path with the CLI alone, computed by real browsers: a project, a WGSL job with its
// wasm twin and a WGSL-only one (no twin) from files, 1,000 + 100 units, a 2-tab farm (real Chromium, whose
// only WebGPU adapter here is SwiftShader, a software one), `watch` until each completes, and results that
// match the CPU reference.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium, startFarm } from '@bricolage/farm';
import { expect, test } from '@playwright/test';
import { bricolage, gridPerTest, type Run, runNode } from '../support/grid-per-test';
import Database from 'better-sqlite3';

const chromium = findChromium();
if (!chromium.ok) throw new Error(chromium.message);

const SQUARES = join(process.cwd(), 'examples/squares');
const grid = gridPerTest('bricolage-cli-e2e-');

/** One of the example's own scripts (make the units, check the results), in the test's directory. */
const node = (script: string, ...args: string[]): Promise<Run> =>
  runNode(join(SQUARES, script), args, { cwd: grid.dir });

test('the CLI alone takes a WGSL job with a twin and a WGSL-only one from files to results a 2-tab farm computed', async () => {
  // About a minute on a quiet machine; the limit only ends a hung run.
  test.setTimeout(360_000);
  const project = await bricolage(grid, ['project', 'create', 'Squares (e2e)', '--login']);
  expect(project.code, project.stderr).toBe(0);

  const twinned = await bricolage(grid, ['job', 'create', SQUARES, '--quiet']);
  expect(twinned.code, twinned.stderr).toBe(0);
  const job = twinned.stdout.trim();
  // The same kernel without its twin: volunteers can run it only on WebGPU, here a software adapter.
  const wgslOnly = join(grid.dir, 'squares-wgsl-only');
  cpSync(SQUARES, wgslOnly, { recursive: true });
  rmSync(join(wgslOnly, 'squares.wasm'));
  const bare = await bricolage(grid, ['job', 'create', wgslOnly, '--quiet']);
  expect(bare.code, bare.stderr).toBe(0);
  const webgpuJob = bare.stdout.trim();

  for (const [id, count] of [
    [job, 1000],
    [webgpuJob, 100],
  ] as const) {
    const units = await node('make-units.mjs', String(count));
    const added = await bricolage(grid, ['wus', 'add', id, '-', '--batch', '250'], units.stdout);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`${count} work units uploaded`);
  }

  const watching = [bricolage(grid, ['watch', job]), bricolage(grid, ['watch', webgpuJob])];
  // Quorum 2, until the tabs have earned trust (adaptive replication): then units validate on one result, so
  // the farm stops when the grid has no work left rather than at a count of results.
  const farm = startFarm({
    coordinator: grid.coordinator.url,
    tabs: 2,
    chromium: chromium.ok ? chromium.path : '',
    profiles: join(grid.dir, 'profiles'),
    wus: 2 * (1000 + 100),
    // The farm's default, and longer than the 10 s a tab waits after "no work" (the other tab may hold the last
    // units, and free second replicas later). A 5 s window once stopped this farm with 700 units unsent: a tab
    // holding the most leases it may was told "no work, 10 s" (now "1 s": http/volunteer.ts FULL_RETRY_S).
    // A stall of a real volunteer would still fail this test: the watchers wait for completion.
    idleStopMs: 30_000,
    throttle: 100,
    unreachableTimeoutMs: 30_000,
    pollMs: 500,
    flushTimeoutMs: 30_000,
  });
  const [watched, watchedBare] = await Promise.all(watching);
  const summary = await farm.done;
  expect(['wus', 'no-work']).toContain(summary.reason);
  expect(summary).toMatchObject({ exit_code: 0, crashed: 0, rejected: 0 });
  expect(watched?.code, watched?.stderr).toBe(0);
  expect(watched?.stdout).toContain(`${job} completed: 1000 validated, 0 failed`);
  expect(watchedBare?.code, watchedBare?.stderr).toBe(0);
  expect(watchedBare?.stdout).toContain(`${webgpuJob} completed: 100 validated, 0 failed`);
  // Not a terminal: plain progress lines, the diagnosis among them.
  expect(watched?.stderr).toMatch(/finished \d+\/1000/);

  for (const [id, count] of [
    [job, 1000],
    [webgpuJob, 100],
  ] as const) {
    const downloaded = await bricolage(grid, ['results', id, '--out', `${id}.ndjson`]);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    const check = await node('check.mjs', join(grid.dir, `${id}.ndjson`), String(count));
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain(`${count} results, all equal to the CPU reference`);
  }

  // The WGSL-only job's results came from WebGPU, on the tabs' SwiftShader adapter; the other job's from wasm,
  // which calibration prefers on a software adapter.
  const db = new Database(join(grid.dir, 'data', 'bricolage.sqlite'), { readonly: true });
  try {
    const backends = (id: string) =>
      (
        db.prepare("SELECT DISTINCT backend FROM replicas WHERE job = ? AND state = 'valid'").all(id) as {
          backend: string;
        }[]
      ).map((r) => r.backend);
    expect(backends(webgpuJob)).toEqual(['webgpu']);
    expect(backends(job)).toContain('wasm');
  } finally {
    db.close();
  }
});
