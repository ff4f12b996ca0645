// Credits that buy compute (issue 19), end to end in real browsers: a volunteer earns credit on a project,
// opens its own project from the page's wallet, creates a job in the dashboard with it, and a farm computes
// that job only as far as the balance pays: the balance falls by exactly the validated units' cost, every
// debit verifies offline against the coordinator's key, and the job pauses saying why.
import { join } from 'node:path';
import { startFarm } from '@bricolage/farm';
import { type ReceiptBody, verifyReceipt, walletOf } from '@bricolage/protocol';
import { writeJobFolder } from '../dashboard/support';
import { CHROMIUM, downloadText, expect, jobCounts, openPage, seedPrimes, test } from './support';

const PORT = 18799;
const EARNING_UNITS = 8;

test('a volunteer’s credit pays for its own job: computed by a farm until it runs out, each debit verifiable', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  test.setTimeout(300_000);
  const grid = await startGrid({ dataDir: await scratch('wallet-data'), port: PORT });
  const context = await launchProfile(await scratch('wallet-profile'));
  await seedPrimes(grid, { limit: EARNING_UNITS * 131072, segment: 131072 });
  const page = await context.newPage();
  await openPage(page, grid.url);

  // Earn: compute the project's units, then stop.
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('receipt-count')).toHaveText(new RegExp(`^${EARNING_UNITS} receipts`), {
    timeout: 90_000,
  });
  await page.getByRole('button', { name: 'Stop' }).click();
  const wallet = page.getByRole('region', { name: 'Wallet' });
  const earned = Number(await wallet.getByTestId('wallet-earned').getAttribute('data-value'));
  expect(earned).toBeGreaterThan(0);
  await expect(wallet.getByTestId('wallet-spent')).toHaveAttribute('data-value', '0');
  // Recomputed from the receipts this browser verified: the coordinator's figure.
  const local = async (field: string) => Number(await wallet.getByTestId('wallet-local').getAttribute(`data-${field}`));
  await expect.poll(() => local('balance')).toBeCloseTo(earned, 9);

  // Spend: the key's own project, opened from the wallet into the dashboard of this tab.
  await wallet.getByRole('button', { name: 'Spend my credit: open my project' }).click();
  await expect(page).toHaveURL(/\/dashboard/);
  await expect(page.getByTestId('project-name')).toHaveText('My project');
  // A job that costs earned/3.5 a unit (one replica each): the balance pays for three of its six units.
  const cost = earned / 3.5;
  const folder = writeJobFolder(join(await scratch('wallet-job'), 'job'), {
    units: 6,
    manifest: { name: 'Paid from my credit', costPerWorkUnit: cost },
  });
  await page.getByRole('link', { name: 'New job', exact: true }).first().click();
  await page.getByTestId('job-files-files').setInputFiles([folder.manifest, folder.wgsl, folder.wasm]);
  await expect(page.getByTestId('wgsl-check')).toContainText('compiles in this browser');
  await page.getByRole('button', { name: 'Create job' }).click();
  await expect(page).toHaveURL(/#\/jobs\/job_[a-z0-9]{16}$/);
  const job = /job_[a-z0-9]{16}/.exec(page.url())?.[0] as string;
  await page.getByTestId('inputs-files').setInputFiles(folder.inputs);
  await expect(page.getByTestId('upload-status')).toContainText('Added 6 work units');

  // A farm computes it: three units, then nothing more is leased and the job pauses with the reason.
  const farm = startFarm({
    coordinator: grid.url,
    tabs: 1,
    chromium: CHROMIUM,
    profiles: await scratch('wallet-farm'),
    wus: 3,
    idleStopMs: 30_000,
    throttle: 100,
    unreachableTimeoutMs: 30_000,
    pollMs: 500,
    flushTimeoutMs: 30_000,
  });
  const summary = await farm.done;
  expect(summary).toMatchObject({ exit_code: 0, crashed: 0, rejected: 0 });
  await expect.poll(() => jobCounts(grid, job), { timeout: 30_000 }).toMatchObject({ validated: 3, unsent: 3 });
  await expect(page.getByTestId('job-state')).toHaveText('paused', { timeout: 30_000 });
  await expect(page.getByTestId('diagnosis')).toContainText("its funder's balance is spent");

  // Back on the volunteer page: the balance fell by exactly three units' cost, as the coordinator and as this
  // browser count it from the verified debits.
  await openPage(page, grid.url);
  await wallet.getByRole('button', { name: 'Update' }).click();
  await expect.poll(() => local('spent')).toBeCloseTo(3 * cost, 9);
  const spent = Number(await wallet.getByTestId('wallet-spent').getAttribute('data-value'));
  expect(spent).toBeCloseTo(3 * cost, 9);
  expect(Number(await wallet.getByTestId('wallet-balance').getAttribute('data-value'))).toBeCloseTo(earned - spent, 9);
  await expect(wallet.getByTestId('wallet-history').locator('li[data-type="debit"]')).toHaveCount(3);
  // The page's headline is that balance, named so; the receipts panel counts the debits apart from the receipts
  // of work, as spent, and lists each as spent.
  const headline = page.getByTestId('stats').locator('div', { has: page.getByTestId('stat-credit') });
  await expect(headline.locator('dt')).toHaveText('Credit balance');
  await expect(page.getByTestId('stat-credit')).toHaveText(await wallet.getByTestId('wallet-balance').innerText());
  await expect(page.getByTestId('receipt-count')).toContainText(
    new RegExp(`^${EARNING_UNITS} receipts · [\\d.,]+ credits earned · 3 debits, [\\d.,]+ spent`),
  );
  const debitRows = page.locator('[data-testid="receipt-row"][data-type="debit"]');
  await expect(debitRows).toHaveCount(3);
  await expect(debitRows.first().locator('td').nth(4)).toHaveText(/ spent$/);

  // Offline: the exported file's entries verify against the coordinator's key alone and give the same wallet.
  const exported = JSON.parse((await downloadText(page, 'Export')).text) as { receipts: unknown[]; volunteer: string };
  const bodies: ReceiptBody[] = [];
  for (const r of exported.receipts) {
    const checked = await verifyReceipt(r, grid.publicKey);
    expect(checked.ok).toBe(true);
    if (checked.ok) bodies.push(checked.value);
  }
  expect(bodies.filter((b) => b.type === 'debit').map((b) => b.type === 'debit' && b.job)).toEqual([job, job, job]);
  const offline = walletOf(bodies, exported.volunteer);
  expect(offline.spent).toBeCloseTo(3 * cost, 9);
  expect(offline.balance).toBeCloseTo(earned - 3 * cost, 9);
});
