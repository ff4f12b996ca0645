// The job page driven from the keyboard, in real Chromium against a real coordinator: wherever a control is
// replaced or made unavailable, focus lands on something that says what happened rather than falling to <body>;
// and at 320 CSS px wide (WCAG 1.4.10 reflow) the page does not scroll sideways.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, jobFromManifest } from '@bricolage/client';
import type { Coordinator } from '@bricolage/coordinator';
import type { JobId } from '@bricolage/protocol';
import { expect, type Page, test } from '@playwright/test';
import { buildWeb, WEB_DIST } from '../web/support';
import { signIn, writeJobFolder } from './support';

let dir: string;
let coordinator: Coordinator;
let token: string;

test.beforeAll(async () => {
  await buildWeb();
});

test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bricolage-dashboard-keys-'));
  const { startCoordinator } = await import('@bricolage/coordinator');
  coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0, webRoot: WEB_DIST });
  ({ token } = await coordinator.createProject('Fractal survey'));
});

test.afterEach(async () => {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
});

/** An active mandelbrot job with 20 unsent units, made through the public API as the CLI makes it. */
async function activeJob(): Promise<JobId> {
  const folder = writeJobFolder(join(dir, 'job'), { units: 20 });
  const names = ['mandelbrot.wgsl', 'mandelbrot.wasm'];
  const job = await jobFromManifest(JSON.parse(readFileSync(folder.manifest, 'utf8')), {
    names,
    read: async (name) => (names.includes(name) ? new Uint8Array(readFileSync(join(folder.dir, name))) : null),
  });
  if (!job.ok) throw new Error(job.error.message);
  const client = createClient({ url: coordinator.url, token });
  for (const file of job.value.files) expect((await client.putBlob(file.bytes)).ok).toBe(true);
  const created = await client.createJob(job.value.request);
  if (!created.ok) throw new Error(JSON.stringify(created));
  const added = await client.addWorkUnits(created.value.id, readFileSync(folder.inputs, 'utf8'));
  expect(added.ok, JSON.stringify(added)).toBe(true);
  return created.value.id;
}

/** What has keyboard focus, as "TAG text" (BODY when focus was lost). */
const focused = (page: Page) =>
  page.evaluate(() => {
    const e = document.activeElement;
    return !e || e === document.body ? 'BODY' : `${e.tagName} ${(e.textContent ?? '').trim()}`;
  });

test('focus stays on the job page: opening a job, Pause, Resume, Cancel job…, Keep it, and the cancel itself', async ({
  page,
}) => {
  await activeJob();
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, coordinator.url, token);
  await page.getByTestId('job-list').getByRole('link', { name: 'Mandelbrot overview' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('job-state')).toHaveText('active');
  // The loading heading had focus; the job's own heading takes it over.
  await expect.poll(() => focused(page)).toBe('H2 Mandelbrot overview');

  await page.getByRole('button', { name: 'Pause' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('job-state')).toHaveText('paused');
  await expect.poll(() => focused(page)).toBe('BUTTON Resume');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('job-state')).toHaveText('active');
  await expect.poll(() => focused(page)).toBe('BUTTON Pause');

  // Asking first: focus goes to the harmless answer, so a second Enter cancels nothing.
  await page.getByRole('button', { name: 'Cancel job…' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => focused(page)).toBe('BUTTON Keep it');
  await page.keyboard.press('Enter');
  await expect.poll(() => focused(page)).toBe('BUTTON Cancel job…');
  await expect(page.getByTestId('job-state')).toHaveText('active');

  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Yes, cancel the job' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('job-state')).toHaveText('cancelled');
  await expect.poll(() => focused(page)).toBe('P Cancelled: its accepted results are kept and can be downloaded.');
});

test('at 320 px wide the job page, charts drawn, does not scroll sideways', async ({ page }) => {
  await activeJob();
  await page.setViewportSize({ width: 320, height: 640 });
  await signIn(page, coordinator.url, token);
  await page.getByTestId('job-list').getByRole('link', { name: 'Mandelbrot overview' }).click();
  await expect(page.getByTestId('chart-throughput').locator('canvas')).toBeVisible();
  await expect(page.getByTestId('chart-volunteers').locator('canvas')).toBeVisible();
  const widths = () =>
    page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
  expect(await widths()).toEqual({ scroll: 320, client: 320 });
});
