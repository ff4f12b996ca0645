// One volunteer tab serving two grids: a page served by one coordinator adds a second (another port, so
// another origin) by URL, computes for both with one key, keeps each grid's receipts verified against that
// grid's own key, and carries on with the first when the second goes away.
import { keyFingerprint, verifyReceipt } from '@bricolage/protocol';
import { expect, openPage, seedPrimes, storedInPage, test } from './support';

const SEGMENT = 1_000_000;
/**
 * Enough that neither grid runs out while the test watches, however fast this machine computes: the shares are
 * checked while both grids hold work (a grid with none leaves its time to the other), and the home grid's duty
 * rises to the whole throttle when the other goes. 2,000 units for the other grid ran out within ~35 s on a quick
 * machine, before the shares could be checked on a slow one.
 */
const HOME_UNITS = 20_000;
const OTHER_UNITS = 20_000;

test('one page serves two coordinators, each receipt verified against its own key, and survives losing one', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  // Its waits add up to 5 minutes on a loaded machine (two grids' workers starting, each waiting for receipts).
  test.setTimeout(360_000);
  const home = await startGrid({ dataDir: await scratch('grids-home'), port: 0 });
  const other = await startGrid({ dataDir: await scratch('grids-other'), port: 0 });
  expect(new URL(home.url).origin).not.toBe(new URL(other.url).origin);
  await seedPrimes(home, { limit: HOME_UNITS * SEGMENT, segment: SEGMENT, projectName: 'Home primes' });
  await seedPrimes(other, { limit: OTHER_UNITS * SEGMENT, segment: SEGMENT, projectName: 'Other primes' });

  const context = await launchProfile(await scratch('grids-profile'));
  const page = await context.newPage();
  const toOther: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(other.url) && /\/v1\/(auth|volunteer)\//.test(r.url())) toOther.push(r.url());
  });
  await openPage(page, home.url);

  // Added by URL: its key and projects are shown, and nothing is asked of it as a volunteer before Start.
  await page.getByLabel('Coordinator URL').fill(`${other.url}/`);
  await page.getByRole('button', { name: 'Add grid' }).click();
  const grid = page.getByTestId('grid');
  await expect(grid).toHaveAttribute('data-url', other.url);
  await expect(grid.getByTestId('grid-key')).toContainText(keyFingerprint(other.publicKey));
  await expect(grid).toContainText('Other primes');
  await expect(grid.getByTestId('grid-status')).toHaveText('online');
  // Shares: this grid 300 to the home grid's 100, so while both compute the home pipeline keeps a quarter.
  await grid.getByLabel('Share').fill('300');
  expect(toOther).toEqual([]);

  // The grid is kept: after a reload it is still there, still not computing.
  await page.reload();
  await openPage(page, home.url);
  await expect(page.getByTestId('grid')).toHaveAttribute('data-url', other.url);
  expect(toOther).toEqual([]);

  await page.getByRole('button', { name: 'Start' }).click();
  // Both compute: receipts from the home grid in the receipts panel, and from the other in its own line.
  await expect.poll(() => receiptsOf(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(2);
  await expect
    .poll(async () => Number(await grid.getByTestId('grid-receipts').textContent()), { timeout: 90_000 })
    .toBeGreaterThanOrEqual(2);

  await expect.poll(() => homeDuty(page), { timeout: 30_000 }).toBe(0.25);

  // One key for both grids: each credits the same volunteer.
  const key = await volunteerKey(page);
  const homeReceipts = await storedReceipts(page, 'bricolage');
  const otherReceipts = await storedReceipts(page, `bricolage grid ${other.url}`);
  expect(homeReceipts.length).toBeGreaterThanOrEqual(2);
  expect(otherReceipts.length).toBeGreaterThanOrEqual(2);
  for (const receipt of homeReceipts) {
    expect(await verifyReceipt(receipt, home.publicKey)).toMatchObject({ ok: true, value: { volunteer: key } });
    expect((await verifyReceipt(receipt, other.publicKey)).ok).toBe(false);
  }
  for (const receipt of otherReceipts) {
    expect(await verifyReceipt(receipt, other.publicKey)).toMatchObject({ ok: true, value: { volunteer: key } });
    expect((await verifyReceipt(receipt, home.publicKey)).ok).toBe(false);
  }

  // The second coordinator goes away: it shows as offline, and the home grid's validated count keeps rising.
  await other.close();
  await expect(grid.getByTestId('grid-status')).toHaveText('offline', { timeout: 30_000 });
  const before = await validatedAtHome(page);
  await expect.poll(() => validatedAtHome(page), { timeout: 60_000 }).toBeGreaterThan(before);
  await expect(page.getByTestId('reachability')).toHaveText('reachable');
  // A grid that does not answer leaves its time to the others: the home pipeline has the whole throttle again.
  await expect.poll(() => homeDuty(page)).toBe(1);

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('phase')).toHaveText('Stopped');

  // Removed, it stays removed; its receipts stay in the browser. Gone away, it cannot take results it still holds
  // (to deliver, or set aside): they keep it listed, leaving, until they are delivered or the volunteer forgets it.
  const db = `bricolage grid ${other.url}`;
  const held = ((await storedInPage(page, db, 'outbox')) as unknown[]).length;
  const aside = ((await storedInPage(page, db, 'set-aside')) as unknown[]).length;
  await page.getByRole('button', { name: `Remove ${other.url}` }).click();
  if (held + aside > 0) {
    await expect(grid.getByTestId('grid-leaving')).toContainText(`Removing: ${held} result`);
    await grid.getByRole('button', { name: `Forget it now: ${held + aside} result` }).click();
  }
  await expect(page.getByTestId('grid')).toHaveCount(0);
  await page.reload();
  await openPage(page, home.url);
  await expect(page.getByRole('heading', { name: 'Other grids' })).toBeVisible();
  await expect(page.getByTestId('grid')).toHaveCount(0);
  expect((await storedReceipts(page, `bricolage grid ${other.url}`)).length).toBeGreaterThanOrEqual(
    otherReceipts.length,
  );
});

/** The duty cycle the home grid's pipeline is set to keep, as the page's automation hook reports it. */
async function homeDuty(page: import('@playwright/test').Page): Promise<number | null> {
  return page.evaluate(async () => (await window.bricolagePage?.snapshot())?.throttle ?? null);
}

async function receiptsOf(page: import('@playwright/test').Page): Promise<number> {
  return Number.parseInt((await page.getByTestId('receipt-count').textContent()) ?? '', 10) || 0;
}

async function validatedAtHome(page: import('@playwright/test').Page): Promise<number> {
  return Number.parseInt((await page.getByTestId('stat-validated').textContent()) ?? '', 10) || 0;
}

/** The one key of the page's store (the home database's identity). */
async function volunteerKey(page: import('@playwright/test').Page): Promise<string> {
  return ((await storedInPage(page, 'bricolage', 'identity', 'self')) as { publicKey: string }).publicKey;
}

/** The proven receipts kept in the database `name`, as they are stored. */
async function storedReceipts(page: import('@playwright/test').Page, name: string): Promise<unknown[]> {
  return ((await storedInPage(page, name, 'receipts')) as { proven: unknown }[]).map((r) => r.proven);
}
