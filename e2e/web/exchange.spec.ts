// Import merges only what verifies: a receipt with one byte changed, one signed by another key, and a file that
// is not an export are each refused with a message that says why.
import { type CreditBody, type ProvenReceipt, signReceiptBody } from '@bricolage/protocol';
import { createTestLog } from '@bricolage/receipts/testing';
import { chooseFile, downloadText, expect, openPage, receiptCount, seedPrimes, test } from './support';

const UNITS = 6;

test('import rejects a tampered receipt and receipts signed by another key, and merges the rest', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await startGrid({ dataDir: await scratch('exchange-data'), port: 18784 });
  await seedPrimes(grid, { limit: UNITS * 131072, segment: 131072 });
  await openPage(page, grid.url);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('receipt-count')).toHaveText(new RegExp(`^${UNITS} receipts`), { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  const exported = await downloadText(page, 'Export');
  const file = JSON.parse(exported.text) as { volunteer: string; receipts: ProvenReceipt[] };

  // One byte changed: a character in the middle of the third receipt's signature.
  const signature = file.receipts[2]?.receipt.signature as string;
  const at = exported.text.indexOf(signature) + 20;
  const flipped = exported.text[at] === 'A' ? 'B' : 'A';
  const tampered = exported.text.slice(0, at) + flipped + exported.text.slice(at + 1);
  expect(tampered.length).toBe(exported.text.length);
  await chooseFile(page, 'Import…', 'tampered.json', tampered);
  const notice = page.getByTestId('notice').last();
  await expect(notice).toContainText('Imported tampered.json with 1 rejected receipt(s)');
  await expect(notice).toContainText(`0 added, ${UNITS - 1} already here, 1 rejected`);
  await expect(notice).toContainText(
    `Rejected entry 3 (${(file.receipts[2]!.receipt.body as CreditBody).workUnit}): receipt signature does not verify`,
  );

  // Signed by another key: a whole other log, and a forgery that claims the real coordinator's log.
  const impostor = await createTestLog();
  const foreign = await impostor.append(file.volunteer);
  const real = file.receipts[0] as ProvenReceipt;
  const forged: ProvenReceipt = {
    ...real,
    receipt: await signReceiptBody(impostor.key.privateKey, { ...(real.receipt.body as CreditBody), credit: 1000 }),
  };
  await chooseFile(
    page,
    'Import…',
    'others.json',
    JSON.stringify({ ...file, receipts: [foreign, forged, ...file.receipts] }),
  );
  await expect(notice).toContainText('Imported others.json with 2 rejected receipt(s)');
  await expect(notice).toContainText('Rejected entry 1 (wu_1): receipt belongs to another log');
  await expect(notice).toContainText(
    `Rejected entry 2 (${(real.receipt.body as CreditBody).workUnit}): receipt signature does not verify`,
  );
  await expect(notice).toContainText(`0 added, ${UNITS} already here, 2 rejected`);

  await chooseFile(page, 'Import…', 'notes.json', '{"hello": "world"}');
  await expect(notice).toContainText('Nothing imported from notes.json');
  await expect(notice).toContainText('the file is not a receipts export');

  // Nothing that failed was kept: the same receipts, the same credit, all still verifying.
  expect(await receiptCount(page)).toBe(UNITS);
  await page.getByRole('button', { name: 'Verify all' }).click();
  await expect(page.getByTestId('notice').last()).toContainText(`All ${UNITS} receipts verified`);
});
