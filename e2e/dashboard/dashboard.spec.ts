// The researcher dashboard end to end, in real Chromium against a real coordinator: a WGSL job made from
// files, 1,000 work units uploaded with the progress bar showing, a 2-tab farm computing them while the
// throughput chart and the picture fill in, `completed`, and results that match the CPU reference.
// Screenshots of each state go to test-results/ (the main ones also to __screenshots__/, committed).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Coordinator } from '@bricolage/coordinator';
import { startFarm } from '@bricolage/farm';
import { fromBase64, type ResultLine } from '@bricolage/protocol';
import { mandelbrot } from '@bricolage/workloads';
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../support/axe';
import { CHROMIUM_PATH } from '../support/chromium';
import { buildWeb, WEB_DIST } from '../web/support';
import { FRAME, jobsOf, shooter, writeJobFolder } from './support';

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '__screenshots__');

let dir: string;
let coordinator: Coordinator;
let project: string;
let token: string;

test.beforeAll(async () => {
  await buildWeb();
});

test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bricolage-dashboard-'));
  const { startCoordinator } = await import('@bricolage/coordinator');
  coordinator = await startCoordinator({
    dataDir: join(dir, 'data'),
    port: 0,
    webRoot: WEB_DIST,
    log: (m) => console.error(`[coordinator] ${m}`),
  });
  ({ project, token } = await coordinator.createProject('Fractal survey', 'Pictures of the Mandelbrot set', 'e2e'));
});

test.afterEach(async () => {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
});

/** Float comparison as the job's comparator makes it (rtol 1e-6, atol 1e-5), element by element. */
function close(actual: Float32Array, expected: Float32Array): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Math.abs(a - e) > 1e-5 + 1e-6 * Math.abs(e)) return false;
  }
  return true;
}
const floats = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);

test('a WGSL job from files: 1,000 units uploaded, computed by a 2-tab farm while the charts and the picture fill in, completed, results = CPU reference', async ({
  page,
}, info) => {
  test.setTimeout(360_000);
  const shot = shooter(page, info, SHOTS);
  const folder = writeJobFolder(join(dir, 'job'));
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.goto(`${coordinator.url}/dashboard`);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await shot('sign-in');
  await expectAccessible(page, 'sign in');
  // From the keyboard: the skip link, then the token field.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the content' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Project token')).toBeFocused();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('project-name')).toHaveText('Fractal survey');
  await expect(page.getByText('No jobs yet.')).toBeVisible();
  await shot('jobs-empty');

  // A new job from its files: the kernel is compiled in this browser before anything is uploaded.
  await page.getByRole('link', { name: 'New job', exact: true }).first().click();
  await expect(page.getByRole('heading', { name: 'New job' })).toBeFocused();
  await page.getByTestId('job-files-files').setInputFiles([folder.manifest, folder.wgsl, folder.wasm]);
  await expect(page.getByTestId('wgsl-check')).toContainText('mandelbrot.wgsl compiles in this browser');
  await expect(page.getByTestId('job-summary')).toContainText('with a wasm twin');
  await shot('new-job-checked', { keep: true });
  await expectAccessible(page, 'new job');
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page).toHaveURL(/#\/jobs\/job_[a-z0-9]{16}$/);
  const job = /job_[a-z0-9]{16}/.exec(page.url())?.[0] as string;
  await expect(page.getByTestId('job-state')).toHaveText('active');
  await expect(page.getByTestId('diagnosis')).toContainText('no work units');

  // 1,000 units in ten batches; the third is held until the progress bar has been seen part way.
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let batches = 0;
  await page.route('**/v1/jobs/*/workunits', async (route) => {
    if (++batches === 3) await held;
    await route.continue();
  });
  await page.getByTestId('inputs-files').setInputFiles(folder.inputs);
  const label = page.locator('label[for="upload-progress"]');
  await expect(label).toContainText('200 of 1,000 work units added');
  await expect(page.getByTestId('upload-progress')).toBeVisible();
  const partial = Number(await page.getByTestId('upload-progress').getAttribute('value'));
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(readFileSync(folder.inputs).length);
  await shot('uploading', { keep: true });
  release();
  await expect(page.getByTestId('upload-status')).toContainText('Added 1,000 work units');
  await page.unroute('**/v1/jobs/*/workunits');
  expect(batches).toBe(10);
  await expect(page.getByTestId('count-unsent')).toHaveText('1,000');
  await expect(page.getByTestId('diagnosis')).toContainText('no volunteer');

  const farm = startFarm({
    coordinator: coordinator.url,
    tabs: 2,
    chromium: CHROMIUM_PATH,
    profiles: join(dir, 'profiles'),
    wus: 1000,
    idleStopMs: 120_000,
    // A quarter speed, so that the job is still running when the test pauses it: at full speed 24-38 % of the
    // tiles were validated by the Pause click here (18-20 % at a quarter), and a quicker machine could have
    // finished them all, leaving no Pause to click.
    throttle: 25,
    unreachableTimeoutMs: 30_000,
    pollMs: 500,
    flushTimeoutMs: 30_000,
  });
  try {
    // While it runs: the picture fills in and the throughput chart gets points. Paused part way, to look.
    const mosaic = page.getByTestId('mosaic');
    await expect
      .poll(async () => Number(await mosaic.getAttribute('data-tiles')), { timeout: 120_000, intervals: [100] })
      .toBeGreaterThan(50);
    await expect(page.getByTestId('active-volunteers')).not.toHaveText(/^0/);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByTestId('job-state')).toHaveText('paused');
    await expect(page.getByTestId('diagnosis')).toContainText('paused');
    const tiles = Number(await mosaic.getAttribute('data-tiles'));
    expect(tiles).toBeLessThan(1000);
    await expect(mosaic).toBeVisible();
    expect(Number(await page.getByTestId('chart-throughput').getAttribute('data-points'))).toBeGreaterThan(2);
    await expect(page.getByTestId('chart-throughput-summary')).not.toHaveText(/^— /);
    await shot('running-paused', { keep: true });
    await expectAccessible(page, 'running');
    await page.getByRole('button', { name: 'Resume' }).click();
    // Pausing stops leasing, not the units the tabs already hold: when those were all that was left (a farm
    // that leased far ahead of a slow machine's picture), the job completes the moment it is resumed.
    await expect(page.getByTestId('job-state')).toHaveText(/^(active|completed)$/);

    await expect(page.getByTestId('job-state')).toHaveText('completed', { timeout: 240_000 });
    await expect(page.getByTestId('count-validated')).toHaveText('1,000');
    await expect.poll(async () => Number(await mosaic.getAttribute('data-tiles'))).toBe(1000);
    await expect(page.getByTestId('eta')).toHaveText('done');
    // Nothing computes any more: no current rate, and the chart keeps the run.
    await expect(page.getByTestId('throughput')).toHaveText('—');
    await expect(page.getByTestId('chart-throughput-summary')).toHaveText(
      'the job is completed: the chart shows its run',
    );
    await shot('completed', { keep: true });
    await expectAccessible(page, 'completed');
    // On a phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('completed-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(
      0,
    );
    await page.setViewportSize({ width: 1280, height: 900 });
  } finally {
    farm.stop();
    const summary = await farm.done;
    expect(summary).toMatchObject({ crashed: 0, rejected: 0 });
  }

  // The results, downloaded as a researcher would, against the CPU reference.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download results' }).click();
  const file = await (await download).path();
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ResultLine);
  expect(lines).toHaveLength(1000);
  const inputs = new Map([...mandelbrot.workUnits(FRAME)].map((wu) => [wu.tag, wu.input]));
  const wrong = lines.filter((line) => {
    const input = inputs.get(line.tag ?? '');
    return (
      line.state !== 'validated' ||
      !input ||
      !close(floats(fromBase64(line.output ?? '')), floats(mandelbrot.reference(input)))
    );
  });
  expect(wrong.map((l) => l.tag)).toEqual([]);
  expect(new Set(lines.map((l) => l.tag)).size).toBe(1000);
  expect(await jobsOf(coordinator, project)).toBe(1);

  // The project's jobs, from the keyboard-reachable tab: this one, completed, and why.
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  const row = page.getByTestId('job-list').getByRole('row', { name: /Mandelbrot overview/ });
  await expect(row).toContainText('completed');
  await expect(row).toContainText('1,000');
  await expect(row.getByRole('link')).toHaveAttribute('href', `#/jobs/${job}`);
  await shot('jobs');
  await expectAccessible(page, 'jobs');

  // Opened again, the job page has watched no run of it: it says so, and draws no empty chart.
  await row.getByRole('link').click();
  await expect(page.getByTestId('job-state')).toHaveText('completed');
  await expect(page.getByTestId('chart-throughput-summary')).toHaveText(
    'the job was completed before this page opened: the charts cover only what this page watched, so there is no run to chart',
  );
  await expect(page.getByTestId('chart-throughput').locator('canvas')).toHaveCount(0);
});
