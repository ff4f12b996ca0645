// A key whose results keep failing is held back by the coordinator (its error allowance spent: rules/error-budget.ts),
// and the page says so, and until when, instead of "No work right now" while the grid has work. The tab's results are
// turned into error results on their way to the real coordinator: a device on which every unit fails.
import { failEveryResult } from '../support/failing-device';
import { expect, openPage, seedPrimes, test } from './support';

const PORT = 18796;

test('a key held back for its errors is told so, and until when, while the grid has work', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await startGrid({ dataDir: await scratch('held-back'), port: PORT });
  await seedPrimes(grid, { limit: 2 ** 30, segment: 2 ** 25 });
  const device = await failEveryResult(page);
  await openPage(page, grid.url);
  await page.getByRole('button', { name: 'Start' }).click();

  await expect(page.getByTestId('phase')).toHaveText('Held back', { timeout: 90_000 });
  const held = page.getByTestId('held-back');
  await expect(held).toContainText("Too many of this key's recent results were errors");
  // Within the hour an allowance spent at once takes to refill (its floor), as the page's clock reads it.
  const until = (await held.textContent())?.match(/no work until (.+?)\. This tab/)?.[1] ?? '';
  expect(until).not.toBe('');
  await expect(page.getByTestId('no-work')).toHaveCount(0);
  expect(device.errors()).toBeGreaterThanOrEqual(2);
});
