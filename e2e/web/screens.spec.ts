// Review artefacts and accessibility: screenshots of the page's main states (kept in __screenshots__/),
// axe-core on the page with no serious or critical violations, and Start reachable from the keyboard.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { axe, expectAccessible } from '../support/axe';
import { expect, openPage, receiptCount, seedPrimes, test } from './support';

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '__screenshots__');

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });

test('the main states, screenshotted and checked with axe-core; Start works from the keyboard', async ({
  page,
  scratch,
  startGrid,
}) => {
  const port = 18789;
  const data = await scratch('screens');
  let grid = await startGrid({ dataDir: data, port });
  // 64 work units of ≈ 0.1 s: the tab is still computing when the coordinator goes away below; the job is paused
  // at the end rather than waited out.
  const { job } = await seedPrimes(grid, { limit: 2 ** 31, segment: 2 ** 25, projectName: 'Prime count (demo)' });
  await page.setViewportSize({ width: 1280, height: 900 });
  await openPage(page, grid.url);
  await expect(page.getByTestId('phase')).toHaveText('Not running');
  await shot(page, 'idle');
  expectAccessible(await axe(page), 'idle');

  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'idle-phone');
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Keyboard: the skip link first, then Start.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the controls' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Start' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('current')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('phase')).toHaveText('Computing');
  await expect.poll(() => receiptCount(page)).toBeGreaterThan(2);
  await expect(page.getByTestId('current')).toBeVisible();
  await shot(page, 'computing');
  expectAccessible(await axe(page), 'computing');

  // Closed while the tab holds work, so that what it computes offline waits in the outbox.
  await expect
    .poll(async () => Number(await page.getByTestId('stats').getAttribute('data-in-hand')))
    .toBeGreaterThan(0);
  await grid.close();
  await expect(page.getByTestId('phase')).toHaveText('Coordinator unreachable');
  await expect.poll(async () => Number(await page.getByTestId('stat-outbox').textContent())).toBeGreaterThan(0);
  await shot(page, 'offline');
  expectAccessible(await axe(page), 'offline');

  grid = await startGrid({ dataDir: data, port });
  await expect(page.getByTestId('stat-outbox')).toHaveText('0', { timeout: 30_000 });
  // No more work from here on (results in flight are still accepted), whatever is left of the job.
  await grid.store.setJobState(job as never, 'paused');
  await expect(page.getByTestId('phase')).toHaveText('No work right now', { timeout: 60_000 });
  await expect(page.getByTestId('stat-outbox')).toHaveText('0');
  await page.getByRole('button', { name: 'Verify all' }).click();
  await expect(page.getByTestId('notice').last()).toContainText('receipts verified');
  await shot(page, 'no-work');
  expectAccessible(await axe(page), 'no work');
});
