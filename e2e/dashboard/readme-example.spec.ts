// The README's Dashboard paragraph, as written: the folder examples/squares picked as it stands (job.json, its
// kernel, wasm twin, constant offset.bin, and the twin's source beside them), then the units that
// `node examples/squares/make-units.mjs 1000` prints, uploaded as an NDJSON file. And the same files dropped on
// the page (dragover, drop with a DataTransfer), as a researcher drags them from a file manager.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import type { ProjectId } from '@bricolage/protocol';
import { expect, test } from '@playwright/test';
import { buildWeb, WEB_DIST } from '../web/support';
import { signIn, unitsOf } from './support';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'squares');

let dir: string;
let coordinator: Coordinator;
let project: string;
let token: string;

test.beforeAll(async () => {
  await buildWeb();
});

test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bricolage-dashboard-readme-'));
  const { startCoordinator } = await import('@bricolage/coordinator');
  coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0, webRoot: WEB_DIST });
  ({ project, token } = await coordinator.createProject('Squares'));
});

test.afterEach(async () => {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
});

test('the README example: examples/squares picked as a folder, 1,000 units from make-units.mjs', async ({ page }) => {
  await signIn(page, coordinator.url, token);
  await page.getByRole('link', { name: 'New job', exact: true }).first().click();
  await page.getByTestId('job-files-folder').setInputFiles(EXAMPLE);
  await expect(page.getByTestId('wgsl-check')).toContainText('squares.wgsl compiles in this browser');
  await expect(page.getByTestId('job-summary')).toContainText('with a wasm twin');
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('active');
  const [job, ...more] = await coordinator.store.listJobs(project as ProjectId);
  expect(more).toEqual([]);
  const spec = job?.definition.spec;
  expect(spec?.kind === 'wgsl' && spec.bindings.find((b) => b.role === 'constant')?.blob).toMatch(/^[0-9a-f]{64}$/);

  const units = join(dir, 'squares-units.ndjson');
  writeFileSync(units, execFileSync(process.execPath, [join(EXAMPLE, 'make-units.mjs'), '1000']));
  await page.getByTestId('inputs-files').setInputFiles(units);
  await expect(page.getByTestId('upload-status')).toContainText('Added 1,000 work units');
  expect((await unitsOf(coordinator, project)).unsent).toBe(1000);
});

test('the example’s files dropped onto the page: the same job, and the NDJSON dropped the same way', async ({
  page,
}) => {
  /** Drops files on a drop zone as a drag from the desktop does: dragover, then drop with a DataTransfer. */
  const drop = async (testId: string, paths: string[]) => {
    const files = paths.map((p) => ({
      name: p.slice(p.lastIndexOf('/') + 1),
      base64: readFileSync(p).toString('base64'),
    }));
    const data = await page.evaluateHandle((list) => {
      const transfer = new DataTransfer();
      for (const f of list)
        transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
      return transfer;
    }, files);
    const zone = page.getByTestId(testId);
    await zone.dispatchEvent('dragover', { dataTransfer: data });
    await expect(zone).toHaveClass(/\bover\b/);
    await zone.dispatchEvent('drop', { dataTransfer: data });
  };
  await signIn(page, coordinator.url, token);
  await page.getByRole('link', { name: 'New job', exact: true }).first().click();
  await drop(
    'job-files',
    ['job.json', 'squares.wgsl', 'squares.wasm', 'offset.bin'].map((f) => join(EXAMPLE, f)),
  );
  await expect(page.getByTestId('wgsl-check')).toContainText('squares.wgsl compiles in this browser');
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('active');

  const units = join(dir, 'squares-units.ndjson');
  writeFileSync(units, execFileSync(process.execPath, [join(EXAMPLE, 'make-units.mjs'), '300']));
  await drop('inputs', [units]);
  await expect(page.getByTestId('upload-status')).toContainText('Added 300 work units');
  expect((await unitsOf(coordinator, project)).unsent).toBe(300);
});
