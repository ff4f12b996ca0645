// Credit moved between two grids from the volunteer page: two coordinators that honour each other's logs, a page
// of one (home) that earned credit there and added the other. "Move" exports on one grid and presents the export
// to the other, both ways; the coordinators' own figures show the credit moved, once. With the receiving grid down
// the export is made and kept, the page says it waits, and "Present it again" credits it once the grid is back.
import type { Coordinator } from '@bricolage/coordinator';
import type { VolunteerKey } from '@bricolage/protocol';
import { expect, openPage, seedPrimes, storedInPage, test } from './support';

test('the page moves credit between two grids that honour each other, and finishes a move the other grid missed', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  test.setTimeout(240_000);
  // Each grid's key is made at its first start; then each is started again honouring the other's.
  const [homeDir, otherDir] = [await scratch('moves-home'), await scratch('moves-other')];
  const firstHome = await startGrid({ dataDir: homeDir, port: 0 });
  const firstOther = await startGrid({ dataDir: otherDir, port: 0 });
  await Promise.all([firstHome.close(), firstOther.close()]);
  const home = await startGrid({ dataDir: homeDir, port: 0, honouredLogs: [firstOther.publicKey] });
  // The other grid honours no one at first: credit could leave the home grid for it, but it would credit none.
  let other = await startGrid({ dataDir: otherDir, port: 0 });
  await seedPrimes(home, { limit: 400 * 1_000_000, segment: 1_000_000, minQuorum: 1, projectName: 'Home primes' });

  const context = await launchProfile(await scratch('moves-profile'));
  const page = await context.newPage();
  await openPage(page, home.url);
  // Credit to move: computed for the home grid, then stopped.
  await page.getByRole('button', { name: 'Start' }).click();
  const key = await volunteerKey(page);
  await expect.poll(async () => (await stats(home, key)).balance, { timeout: 120_000 }).toBeGreaterThanOrEqual(1);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('phase')).toHaveText('Stopped');
  const earned = await stats(home, key);

  await page.getByLabel('Coordinator URL').fill(other.url);
  await page.getByRole('button', { name: 'Add grid' }).click();
  const grid = page.getByTestId('grid');
  const moves = grid.getByTestId('grid-moves');
  await expect(grid.getByTestId('grid-status')).toHaveText('online');
  await page.waitForTimeout(1_000);
  await expect(moves).toHaveCount(0);
  // Its operator now honours the home grid (restarted: same address, same key): the page, loaded again, reads each
  // grid's list and offers moves both ways.
  const port = other.port;
  await other.close();
  other = await startGrid({ dataDir: otherDir, port, honouredLogs: [home.publicKey] });
  await page.reload();
  await openPage(page, home.url);
  await expect(moves.getByLabel('Which way')).toBeVisible();

  // Home → other: a debit at home, the same credit at the other grid, and both grids' entries kept in the page.
  await moves.getByLabel('Move credit').fill('0.5');
  await moves.getByRole('button', { name: 'Move' }).click();
  await expect(grid.getByTestId('grid-move-message')).toHaveText(
    `Moved 0.5 credit from this coordinator to ${other.url}.`,
  );
  expect((await stats(home, key)).spent).toBeCloseTo(earned.spent + 0.5, 9);
  expect((await stats(other, key)).balance).toBeCloseTo(0.5, 9);
  // Counted as moved in, not as a receipt of work there.
  await expect(grid.getByTestId('grid-moved-in')).toContainText('0.5 moved in');
  await expect(grid.getByTestId('grid-receipts')).toHaveText('0');
  // Kept by each grid's receipt sync, verified, after the move.
  await expect
    .poll(() => movedEntries(page, 'bricolage'))
    .toEqual([{ type: 'export', to: other.publicKey, debit: 0.5 }]);
  await expect
    .poll(() => movedEntries(page, `bricolage grid ${other.url}`))
    .toEqual([{ type: 'import', from: home.publicKey, credit: 0.5 }]);

  // Other → home.
  await moves.getByLabel('Which way').selectOption({ label: `from ${other.url} to this coordinator` });
  await moves.getByLabel('Move credit').fill('0.25');
  await moves.getByRole('button', { name: 'Move' }).click();
  await expect(grid.getByTestId('grid-move-message')).toHaveText(
    `Moved 0.25 credit from ${other.url} to this coordinator.`,
  );
  expect((await stats(other, key)).balance).toBeCloseTo(0.25, 9);
  // The home grid's credit also grows with results delivered after the Stop: the import is what is checked there.
  await expect
    .poll(() => movedEntries(page, 'bricolage'))
    .toEqual([
      { type: 'export', to: other.publicKey, debit: 0.5 },
      { type: 'import', from: other.publicKey, credit: 0.25 },
    ]);
  // Each side counts what moved apart from work and spending.
  await expect(page.getByTestId('receipt-count')).toContainText('· 0.25 moved in · 0.5 moved out');
  await expect(grid.getByTestId('grid-moved-out')).toContainText('0.25 moved out');

  // More than may move: refused by the grid, nothing moved, and the page says why.
  await moves.getByLabel('Move credit').fill('5');
  await moves.getByRole('button', { name: 'Move' }).click();
  await expect(grid.getByTestId('grid-move-message')).toContainText('is more than this volunteer may move');
  expect((await stats(other, key)).balance).toBeCloseTo(0.25, 9);

  // The receiving grid down: the export is made and kept, and the page says the credit waits.
  await other.close();
  await moves.getByLabel('Which way').selectOption({ label: `from this coordinator to ${other.url}` });
  await moves.getByLabel('Move credit').fill('0.125');
  await moves.getByRole('button', { name: 'Move' }).click();
  await expect(grid.getByTestId('grid-move-message')).toContainText(`has not credited it yet`);
  await expect(grid.getByTestId('grid-waiting-toGrid')).toContainText(
    `0.125 credit moved out of this coordinator waits to be credited by ${other.url}.`,
  );
  expect((await stats(home, key)).spent).toBeCloseTo(earned.spent + 0.5 + 0.125, 9);

  // Back (same address, same key): presented again, credited once, and nothing waits any more.
  other = await startGrid({ dataDir: otherDir, port, honouredLogs: [home.publicKey] });
  await grid.getByRole('button', { name: `Present it again to ${other.url}` }).click();
  await expect(grid.getByTestId('grid-move-message')).toHaveText(`${other.url} credited what waited.`);
  await expect(grid.getByTestId('grid-waiting-toGrid')).toHaveCount(0);
  expect((await stats(other, key)).balance).toBeCloseTo(0.25 + 0.125, 9);
});

async function stats(grid: Coordinator, key: string) {
  return grid.store.volunteerStats(key as VolunteerKey);
}

async function volunteerKey(page: import('@playwright/test').Page): Promise<string> {
  return ((await storedInPage(page, 'bricolage', 'identity', 'self')) as { publicKey: string }).publicKey;
}

/** The entries of credit moved between grids kept in the database `name`: each one's type, other end and amount. */
async function movedEntries(page: import('@playwright/test').Page, name: string): Promise<unknown[]> {
  const kept = (await storedInPage(page, name, 'receipts')) as {
    proven: { receipt: { body: Record<string, unknown> } };
  }[];
  return (
    kept
      .map((r) => r.proven.receipt.body)
      .filter((b) => b.type === 'export' || b.type === 'import')
      // Kept by `${log}/${index}`, which does not sort by index: by kind, then by amount.
      .sort(
        (x, y) =>
          String(x.type).localeCompare(String(y.type)) || Number(x.debit ?? x.credit) - Number(y.debit ?? y.credit),
      )
      .map((b) =>
        b.type === 'export'
          ? { type: b.type, to: b.to, debit: b.debit }
          : { type: b.type, from: b.from, credit: b.credit },
      )
  );
}
