// The volunteer page from the keyboard: a button that is unavailable while its own request runs keeps the focus
// (a disabled one drops it to <body>, and a keyboard user then starts again from the top of the page).
import type { Page } from '@playwright/test';
import { expect, openPage, seedPrimes, test } from './support';

const PORT = 18794;

/** What has keyboard focus, as "TAG text" (BODY when focus was lost). */
const focused = (page: Page) =>
  page.evaluate(() => {
    const e = document.activeElement;
    return !e || e === document.body ? 'BODY' : `${e.tagName} ${(e.textContent ?? '').trim()}`;
  });

test('Start, Stop, Verify all and Download key backup pressed with the keyboard keep the focus', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await startGrid({ dataDir: await scratch('keyboard-data'), port: PORT });
  // ≈ 0.2 s per work unit, 32 of them: still computing when Stop is pressed.
  await seedPrimes(grid, { limit: 2 ** 31, segment: 2 ** 26 });
  await openPage(page, grid.url);

  await page.getByRole('button', { name: 'Start' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('phase')).toHaveText('Computing', { timeout: 30_000 });
  await expect.poll(() => focused(page)).toBe('BUTTON Stop');
  // A unit computed before Stop, for the receipt below: "Computing" shows as the page starts, and a Stop pressed
  // before its first unit got under way left nothing to deliver (a clean-clone CI run saw that once).
  await expect
    .poll(async () => Number(await page.getByTestId('stat-computed').textContent()), { timeout: 30_000 })
    .toBeGreaterThan(0);

  // Stop lets the work unit under way finish: the button is unavailable meanwhile, then turns into Start again.
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('phase')).toHaveText('Stopped');
  await expect.poll(() => focused(page)).toBe('BUTTON Start again');

  await expect
    .poll(async () => Number.parseInt((await page.getByTestId('receipt-count').textContent()) ?? '', 10), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Verify all' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('notice').last()).toContainText('receipts verified');
  await expect.poll(() => focused(page)).toBe('BUTTON Verify all');

  // The backup is encrypted with a slow key derivation ("Encrypting…" meanwhile), then offered as a file.
  await page.getByLabel(/^Passphrase/).fill('correct horse battery staple');
  await page.getByLabel('Same passphrase again').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Download key backup' }).focus();
  await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  await expect.poll(() => focused(page)).toBe('BUTTON Download key backup');
});
