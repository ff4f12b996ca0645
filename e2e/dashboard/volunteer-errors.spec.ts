// What volunteers' failures look like to the researcher: error results by code, each with its latest example,
// live from the job's event stream, and the agreement rate and reissues beside them. Volunteers simulated over
// real HTTP (their results are what a browser's runtime would send when a kernel fails on it).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Coordinator } from '@bricolage/coordinator';
import { SimVolunteer } from '@bricolage/coordinator/testing';
import { API, type Lease, type SubmittedResult } from '@bricolage/protocol';
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../support/axe';
import { buildWeb, WEB_DIST } from '../web/support';
import { shooter, signIn } from './support';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'squares');

let dir: string;
let coordinator: Coordinator;
let token: string;

test.beforeAll(async () => {
  await buildWeb();
});

test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bricolage-dashboard-errors-'));
  const { startCoordinator } = await import('@bricolage/coordinator');
  coordinator = await startCoordinator({ dataDir: join(dir, 'data'), port: 0, webRoot: WEB_DIST });
  ({ token } = await coordinator.createProject('Squares'));
});

test.afterEach(async () => {
  await coordinator.close();
  await rm(dir, { recursive: true, force: true });
});

test('volunteers’ errors appear by code with their latest example, live', async ({ page }, info) => {
  await signIn(page, coordinator.url, token);
  await page.getByRole('link', { name: 'New job', exact: true }).first().click();
  await page.getByTestId('job-files-folder').setInputFiles(EXAMPLE);
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page.getByTestId('job-state')).toHaveText('active');
  const units = join(dir, 'units.ndjson');
  writeFileSync(units, execFileSync(process.execPath, [join(EXAMPLE, 'make-units.mjs'), '20']));
  await page.getByTestId('inputs-files').setInputFiles(units);
  await expect(page.getByTestId('upload-status')).toContainText('Added 20 work units');
  await expect(page.getByTestId('errors')).toHaveCount(0);

  // One volunteer's kernel does not compile; another's runs out of memory on two units.
  const [first, second] = [await SimVolunteer.create(coordinator.url), await SimVolunteer.create(coordinator.url)];
  const a = (await first.lease(3)).leases;
  const b = (await second.lease(2)).leases;
  expect([a.length, b.length]).toEqual([3, 2]);
  const fail =
    (code: 'compile_failed' | 'runtime_error', message: string) =>
    (l: Lease): SubmittedResult => ({ kind: 'error', lease: l.lease, code, message });
  expect((await first.submit(a.map(fail('compile_failed', 'squares.wgsl:7:3: unresolved value "x2"')))).status).toBe(
    200,
  );
  expect((await second.submit(b.map(fail('runtime_error', 'out of memory')))).status).toBe(200);

  const row = (code: string) => page.getByTestId('errors').getByRole('row', { name: new RegExp(code) });
  await expect(row('compile_failed').getByRole('cell')).toHaveText([
    'compile_failed',
    '3',
    /^wu_\S+: squares\.wgsl:7:3: unresolved value "x2"$/,
  ]);
  await expect(row('runtime_error').getByRole('cell')).toHaveText(['runtime_error', '2', /^wu_\S+: out of memory$/]);
  await expect(page.getByTestId('error-count')).toHaveText('5');
  await shooter(page, info, join(import.meta.dirname, '__screenshots__'))('volunteer-errors');
  await expectAccessible(page, 'volunteer errors');

  // A third volunteer's page leaves, giving one of its leases back uncomputed: issued, not an error, said apart.
  const third = await SimVolunteer.create(coordinator.url);
  const c = (await third.lease(2)).leases;
  expect((await third.post(API.release, { leases: [c[0]?.lease] })).status).toBe(200);
  await expect(page.getByTestId('reissued')).toHaveText(/of 7 issued, 1 given back$/);
  await expect(page.getByTestId('error-count')).toHaveText('5');
});
