// What the dashboard says to a researcher who gets something wrong, in real Chromium against a real
// coordinator: a wrong token, a kernel that does not compile (its line shown before anything is uploaded), a
// manifest whose bindings do not fit the kernel (caught in the browser, or by the coordinator), inputs of the
// wrong size, and an upload cut in the middle (resumed, nothing added twice). Each time, nothing is left
// half-made on the coordinator.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import { createClient, jobFromManifest } from '@bricolage/client';
import {
  generateSigningKeyPair,
  keyFingerprint,
  type ProjectId,
  sha256Hex,
  signJob,
  toBase64,
} from '@bricolage/protocol';
import { expect, type Page, test } from '@playwright/test';
import { expectAccessible } from '../support/axe';
import { buildWeb, WEB_DIST } from '../web/support';
import { jobsOf, MANIFEST, shooter, signIn, unitsOf, writeJobFolder } from './support';

let dir: string;
let coordinator: Coordinator;
let project: string;
let token: string;

test.beforeAll(async () => {
  await buildWeb();
});

test.beforeEach(async ({ page }) => {
  dir = await mkdtemp(join(tmpdir(), 'bricolage-dashboard-bad-'));
  const { startCoordinator } = await import('@bricolage/coordinator');
  coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0, webRoot: WEB_DIST });
  ({ project, token } = await coordinator.createProject('Fractal survey'));
  await page.setViewportSize({ width: 1280, height: 900 });
});

test.afterEach(async () => {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
});

const SHOTS = join(import.meta.dirname, '__screenshots__');

async function createJob(page: Page, files: string[]): Promise<void> {
  await page.getByRole('link', { name: 'New job', exact: true }).first().click();
  await page.getByTestId('job-files-files').setInputFiles(files);
}

test('a wrong token is refused with the coordinator’s reason, and nothing is stored', async ({ page }, info) => {
  await page.goto(`${coordinator.url}/dashboard`);
  await page.getByLabel('Project token').fill('brk_not-a-token-of-this-coordinator');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The coordinator refused this token: unknown project token');
  await expect(page.getByLabel('Project token')).toHaveAttribute('aria-invalid', 'true');
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  await shooter(page, info, SHOTS)('wrong-token');
  await expectAccessible(page, 'wrong token');
});

test('a good token stays in this tab’s sessionStorage, through a reload, until Sign out; never in localStorage', async ({
  page,
}) => {
  const stored = () =>
    page.evaluate(() => ({ session: Object.values(sessionStorage), local: Object.values(localStorage) }));
  await signIn(page, coordinator.url, token);
  expect(await stored()).toEqual({ session: [token], local: [] });
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await stored()).toEqual({ session: [], local: [] });
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('a kernel that does not compile shows its line before anything is uploaded; nothing is created', async ({
  page,
}, info) => {
  const kernel = writeJobFolder(join(dir, 'ok'), { units: 0 }).source;
  const lines = kernel.split('\n');
  const line = lines.findIndex((l) => l.includes('let p00 = a0 * b0;'));
  lines[line] = (lines[line] as string).replace('a0 * b0', 'a0 * bogus');
  const broken = writeJobFolder(join(dir, 'broken'), { source: lines.join('\n'), units: 0 });
  await signIn(page, coordinator.url, token);
  await createJob(page, [broken.manifest, broken.wgsl, broken.wasm]);
  const check = page.getByTestId('wgsl-check');
  await expect(check).toContainText('mandelbrot.wgsl does not compile: 1 error');
  const column = (lines[line] as string).indexOf('bogus') + 1;
  await expect(check).toContainText(`mandelbrot.wgsl:${line + 1}:${column}`);
  await expect(check).toContainText('bogus');
  await expect(check.locator('pre')).toContainText(`${line + 1} |   let p00 = a0 * bogus;`);
  await expect(page.getByRole('button', { name: 'Create job' })).toBeDisabled();
  await shooter(page, info, SHOTS)('broken-wgsl', { keep: true });
  await expectAccessible(page, 'broken WGSL');
  expect(await jobsOf(coordinator, project)).toBe(0);
  expect(await coordinator.store.hasBlob(await sha256Hex(new TextEncoder().encode(broken.source)))).toBe(false);
});

test('bindings that do not fit the kernel: caught in the browser, or refused by the coordinator, with nothing created', async ({
  page,
}, info) => {
  await signIn(page, coordinator.url, token);
  // The manifest says storage where the kernel has a uniform: the pipeline cannot be built here.
  const bindings = MANIFEST.spec.bindings.map((b) => (b.name === 'params' ? { ...b, type: 'read' } : b));
  const wrongType = writeJobFolder(join(dir, 'type'), { manifest: { spec: { ...MANIFEST.spec, bindings } }, units: 0 });
  await createJob(page, [wrongType.manifest, wrongType.wgsl, wrongType.wasm]);
  await expect(page.getByTestId('wgsl-check')).toContainText('does not fit the manifest’s bindings or entry point');
  await expect(page.getByRole('button', { name: 'Create job' })).toBeDisabled();
  await shooter(page, info, SHOTS)('wrong-binding-type');

  // A binding the kernel does not declare: WebGPU accepts a layout with more than the kernel uses; the
  // coordinator, which reads the kernel's own declarations, does not.
  const extra = [...MANIFEST.spec.bindings, { binding: 2, name: 'extra', type: 'read', role: 'input', size: 16 }];
  const extraBinding = writeJobFolder(join(dir, 'extra'), {
    manifest: { spec: { ...MANIFEST.spec, bindings: extra } },
    units: 0,
  });
  await page
    .getByTestId('job-files-files')
    .setInputFiles([extraBinding.manifest, extraBinding.wgsl, extraBinding.wasm]);
  await expect(page.getByTestId('wgsl-check')).toContainText('compiles in this browser');
  await page.getByRole('button', { name: 'Create job' }).click();
  const refused = page.getByTestId('create-refused');
  await expect(refused).toContainText('The coordinator refused the job.');
  await expect(refused).toContainText('binding 2 (extra) is not declared in the WGSL');
  await expect(refused).toContainText('Nothing was created.');
  await shooter(page, info, SHOTS)('refused-by-coordinator');
  await expectAccessible(page, 'refused');
  expect(await jobsOf(coordinator, project)).toBe(0);

  // A manifest that names a file that was not given, or is not JSON: said before anything else happens.
  await page.getByTestId('job-files-files').setInputFiles([extraBinding.manifest, extraBinding.wasm]);
  await expect(page.getByTestId('manifest-problem')).toContainText(
    'spec.shader is missing, and there is no .wgsl file',
  );
  writeFileSync(join(dir, 'job.json'), '{"name": "x",');
  await page.getByTestId('job-files-files').setInputFiles([join(dir, 'job.json')]);
  await expect(page.getByTestId('manifest-problem')).toContainText('job.json is not valid JSON');
  expect(await jobsOf(coordinator, project)).toBe(0);
});

test('inputs of the wrong size are refused before anything is sent, naming the line', async ({ page }) => {
  const folder = writeJobFolder(join(dir, 'job'), { units: 300 });
  const bad = `${JSON.stringify({ input: toBase64(new Uint8Array(40)), tag: 'short' })}\n`;
  writeFileSync(folder.inputs, `${readFileSync(folder.inputs, 'utf8')}${bad}`);
  await signIn(page, coordinator.url, token);
  await createJob(page, [folder.manifest, folder.wgsl, folder.wasm]);
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('active');
  let requests = 0;
  await page.route('**/v1/jobs/*/workunits', async (route) => {
    requests++;
    await route.continue();
  });
  await page.getByTestId('inputs-files').setInputFiles(folder.inputs);
  await expect(page.getByTestId('upload-status')).toContainText(
    "inputs.ndjson line 301: input is 40 bytes; the job's inputs total 48",
  );
  expect(requests).toBe(0);
  expect((await unitsOf(coordinator, project)).unsent).toBe(0);
});

test('an upload cut in the middle resumes where it stopped: every unit once', async ({ page }, info) => {
  const folder = writeJobFolder(join(dir, 'job'));
  await signIn(page, coordinator.url, token);
  await createJob(page, [folder.manifest, folder.wgsl, folder.wasm]);
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('active');

  // The 4th batch reaches the coordinator, which commits it, and then the connection breaks before the answer.
  let batches = 0;
  await page.route('**/v1/jobs/*/workunits', async (route) => {
    if (++batches !== 4) return route.continue();
    await route.fetch();
    await route.abort('connectionreset');
  });
  await page.getByTestId('inputs-files').setInputFiles(folder.inputs);
  await expect(page.getByTestId('upload')).toHaveAttribute('data-state', 'interrupted');
  await expect(page.getByTestId('upload-status')).toContainText('The upload stopped after 300 of 1,000 work units');
  expect((await unitsOf(coordinator, project)).unsent).toBe(400);
  await shooter(page, info, SHOTS)('upload-interrupted', { keep: true });
  await expectAccessible(page, 'interrupted');

  await page.getByRole('button', { name: 'Resume upload' }).click();
  await expect(page.getByTestId('upload-status')).toContainText('Added 1,000 work units, resuming after the first 300');
  await expect(page.getByTestId('upload-status')).toContainText('1 batch had already arrived before the cut');
  expect(batches).toBe(11);
  expect((await unitsOf(coordinator, project)).unsent).toBe(1000);
  await shooter(page, info, SHOTS)('upload-resumed');
});

test('Cancel stops an upload after the batches already committed, Resume sends the rest; a cancelled job keeps its units', async ({
  page,
}, info) => {
  const folder = writeJobFolder(join(dir, 'job'));
  await signIn(page, coordinator.url, token);
  await createJob(page, [folder.manifest, folder.wgsl, folder.wasm]);
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('active');

  // The 3rd batch is held in the browser; Cancel is clicked while it waits, so it never reaches the coordinator.
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let batches = 0;
  await page.route('**/v1/jobs/*/workunits', async (route) => {
    if (++batches === 3) {
      await held;
      // The page aborted this request: there is nothing left to continue.
      return route.abort().catch(() => undefined);
    }
    await route.continue();
  });
  await page.getByTestId('inputs-files').setInputFiles(folder.inputs);
  await expect(page.locator('label[for="upload-progress"]')).toContainText('200 of 1,000 work units added');
  await expect.poll(() => batches).toBe(3);
  await page.getByRole('button', { name: 'Cancel upload' }).click();
  await expect(page.getByTestId('upload')).toHaveAttribute('data-state', 'cancelled');
  await expect(page.getByTestId('upload-status')).toContainText(
    'Cancelled: 200 of 1,000 work units were added; Resume sends the rest.',
  );
  release();
  expect((await unitsOf(coordinator, project)).unsent).toBe(200);
  await shooter(page, info, SHOTS)('upload-cancelled');
  await expectAccessible(page, 'upload cancelled');

  await page.getByRole('button', { name: 'Resume upload' }).click();
  await expect(page.getByTestId('upload-status')).toContainText('Added 1,000 work units, resuming after the first 200');
  expect(batches).toBe(11);
  expect((await unitsOf(coordinator, project)).unsent).toBe(1000);

  // Cancelling the job asks first; then its unfinished units stop, and nothing is deleted.
  await page.getByRole('button', { name: 'Cancel job…' }).click();
  await page.getByRole('button', { name: 'Keep it' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('active');
  await page.getByRole('button', { name: 'Cancel job…' }).click();
  await page.getByRole('button', { name: 'Yes, cancel the job' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('cancelled');
  await expect(page.getByText('Cancelled: its accepted results are kept and can be downloaded.')).toBeVisible();
  const [job] = await coordinator.store.listJobs(project as ProjectId);
  expect(job?.state).toBe('cancelled');
  expect(await jobsOf(coordinator, project)).toBe(1);
  await shooter(page, info, SHOTS)('job-cancelled');
  await expectAccessible(page, 'job cancelled');
});

test('a project whose jobs are signed: the New job panel says the CLI creates them, and offers no drop that would fail', async ({
  page,
}) => {
  // The project's first signed job, as `bricolage job create` makes it with the key of `bricolage project key`.
  const folder = writeJobFolder(join(dir, 'signed'), { units: 0 });
  const names = ['mandelbrot.wgsl', 'mandelbrot.wasm'];
  const job = await jobFromManifest(JSON.parse(readFileSync(folder.manifest, 'utf8')), {
    names,
    read: async (name) => (names.includes(name) ? new Uint8Array(readFileSync(join(folder.dir, name))) : null),
  });
  if (!job.ok) throw new Error(job.error.message);
  const client = createClient({ url: coordinator.url, token });
  for (const file of job.value.files) expect((await client.putBlob(file.bytes)).ok).toBe(true);
  const key = await generateSigningKeyPair();
  const signature = await signJob(key.privateKey, key.publicKeyText, { ...job.value.request, project });
  const created = await client.createJob({ ...job.value.request, signature });
  expect(created.ok, JSON.stringify(created)).toBe(true);

  await signIn(page, coordinator.url, token);
  await page.getByRole('link', { name: 'New job', exact: true }).first().click();
  const notice = page.getByTestId('signed-project');
  await expect(notice).toContainText('This project’s jobs are signed with its key');
  await expect(notice).toContainText(keyFingerprint(key.publicKeyText));
  await expect(notice).toContainText('bricolage job create');
  await expect(page.getByTestId('job-files-files')).toHaveCount(0);
  expect(await jobsOf(coordinator, project)).toBe(1);
  await expectAccessible(page, 'signed project');
});
