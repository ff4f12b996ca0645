// Credits survive a cleared browser: back up the key with a passphrase, clear the site's data, restore, and
// the same fingerprint and the same receipts come back (and the coordinator knows the key again).
import { chooseFile, clearSiteData, downloadText, expect, openPage, receiptCount, seedPrimes, test } from './support';

const UNITS = 6;
const PASSPHRASE = 'tabs donate cycles 42';

test('key backup, clear site data, restore: the same fingerprint and the same receipts', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await startGrid({ dataDir: await scratch('backup-data'), port: 18785 });
  await seedPrimes(grid, { limit: UNITS * 131072, segment: 131072 });
  await openPage(page, grid.url);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('receipt-count')).toHaveText(new RegExp(`^${UNITS} receipts`), { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  const fingerprint = (await page.getByTestId('fingerprint').textContent()) ?? '';

  await page.getByLabel(/^Passphrase/).fill(PASSPHRASE);
  await page.getByLabel('Same passphrase again').fill(`${PASSPHRASE}!`);
  await expect(page.getByText('The two passphrases differ.')).toBeVisible();
  await page.getByLabel('Same passphrase again').fill(PASSPHRASE);
  const backup = await downloadText(page, 'Download key backup');
  expect(backup.name).toBe(`bricolage-key-${fingerprint.replace(/ /g, '')}.json`);
  expect(backup.text).not.toContain('"d"'); // the private key is inside the ciphertext only
  expect(JSON.parse(backup.text)).toMatchObject({ format: 'bricolage-key-backup', kdf: { name: 'PBKDF2' } });

  await clearSiteData(page);
  await page.reload();
  await openPage(page, grid.url);
  await expect(page.getByTestId('fingerprint-top')).toHaveText('none yet');
  expect(await receiptCount(page)).toBe(0);

  await chooseFile(page, 'Backup file', backup.name, backup.text);
  await page.getByLabel('Its passphrase').fill('not the passphrase');
  await page.getByRole('button', { name: 'Restore key' }).click();
  await expect(page.getByTestId('notice').last()).toContainText('Key not restored');
  await expect(page.getByTestId('notice').last()).toContainText('wrong passphrase');
  await expect(page.getByTestId('fingerprint-top')).toHaveText('none yet');

  await page.getByLabel('Its passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Restore key' }).click();
  await expect(page.getByTestId('notice').last()).toContainText(`Key ${fingerprint} restored`);
  await expect(page.getByTestId('fingerprint')).toHaveText(fingerprint);
  await expect.poll(() => receiptCount(page)).toBe(UNITS);
  // The coordinator recognises the restored key: its count of validated results for it comes back.
  await expect(page.getByTestId('stat-validated')).toHaveText(String(UNITS));
  await page.getByRole('button', { name: 'Verify all' }).click();
  await expect(page.getByTestId('notice').last()).toContainText(`All ${UNITS} receipts verified`);
});
