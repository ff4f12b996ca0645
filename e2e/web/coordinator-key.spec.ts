// Trust on first use: the page keeps the coordinator's key it first saw. A coordinator that comes back with another
// key (its data lost, or another server at its address) is shown as such as soon as it answers again, and at every
// visit after; the key first seen stays kept.
import { expect, openPage, storedSetting, test } from './support';

const PORT = 18795;
/** As the page shortens a key (apps/web/src/format.ts). */
const shortKey = (key: string): string => `${key.slice(0, 6)}…${key.slice(-4)}`;

test('a coordinator that comes back with another key is shown as such at once, and after a reload', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  let grid = await startGrid({ dataDir: await scratch('key-first'), port: PORT });
  const first = grid.publicKey;
  const context = await launchProfile(await scratch('key-profile'));
  const page = await context.newPage();
  await openPage(page, grid.url);
  const warning = page.getByRole('alert').filter({ hasText: 'The coordinator’s key changed' });
  // Started with no work: the tab asks for some every few seconds, which is how it sees the coordinator go and come.
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('phase')).toHaveText('No work right now', { timeout: 60_000 });
  await expect.poll(() => storedSetting(page, 'coordinatorKey')).toBe(first);
  await expect(warning).toHaveCount(0);

  // The same address, its data gone: a new key.
  await grid.close();
  await expect(page.getByTestId('reachability')).toHaveText('unreachable', { timeout: 30_000 });
  grid = await startGrid({ dataDir: await scratch('key-second'), port: PORT });
  expect(grid.publicKey).not.toBe(first);
  await expect(page.getByTestId('reachability')).toHaveText('reachable', { timeout: 30_000 });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText(`first saw ${shortKey(first)}`);
  await expect(warning).toContainText(`now publishes ${shortKey(grid.publicKey)}`);

  await page.reload();
  await expect(warning).toBeVisible();
  await expect(warning).toContainText(`now publishes ${shortKey(grid.publicKey)}`);
  expect(await storedSetting(page, 'coordinatorKey')).toBe(first);
});
