// Moving what the widget earned into the volunteer page: the frame saves this site's receipts in a file signed
// with this site's key, and the volunteer page's Import keeps them under that key. Shown in a browser that keeps
// nothing for embedded sites, where saving them is the only way to keep them.
import { verifyReceiptsFile } from '@bricolage/receipts';
import { chooseFile, openPage, receiptCount } from '../web/support';
import { expect, hostPage, lastStatus, optIn, test, watchHost } from './support';

test('receipts saved from the frame are imported by the volunteer page under the widget’s key', async ({
  page,
  context,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await expect(frame.getByText('kept only while this page is open')).toBeVisible();
  await expect.poll(async () => (await lastStatus(page))?.credited ?? 0, { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  await frame.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');
  // Every result delivered has validated (a quorum of one) and its receipt reached the frame.
  const validated = async () => (await grid.coordinator.store.progress(grid.job as never)).counts.validated;
  await expect.poll(async () => (await lastStatus(page))?.credited === (await validated())).toBe(true);
  const credited = await validated();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    frame.getByRole('button', { name: 'Save receipts' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^bricolage-receipts-localhost-\d{4}-\d{2}-\d{2}\.json$/);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  expect(await verifyReceiptsFile(text, grid.coordinator.publicKey)).toMatchObject({
    ok: true,
    value: { verified: credited, failures: [] },
  });

  // The volunteer page, which has never computed here: no key of its own yet, and the file is still welcome.
  const volunteer = await context.newPage();
  await openPage(volunteer, grid.url);
  await expect(volunteer.getByTestId('fingerprint-top')).toHaveText('none yet');
  await chooseFile(volunteer, 'Import…', 'from-the-widget.json', text);
  const notice = volunteer.getByTestId('notice').last();
  await expect(notice).toContainText('Imported from-the-widget.json');
  await expect(notice).toContainText(`${credited} added, 0 already here, 0 rejected`);
  await expect(notice).toContainText('earned with another key of yours');
  expect(await receiptCount(volunteer)).toBe(credited);

  // A file whose signature no longer matches (one receipt dropped) is held to the old rule: another key's, refused.
  const file = JSON.parse(text) as { receipts: unknown[] };
  const altered = JSON.stringify({ ...file, receipts: file.receipts.slice(1) });
  await chooseFile(volunteer, 'Import…', 'altered.json', altered);
  await expect(notice).toContainText('Nothing imported from altered.json');
});
