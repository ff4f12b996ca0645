// Where the browser lets a cross-site frame keep storage (partitioned by the top site, as Chromium does when
// third-party cookies are allowed, and Firefox does by default), the reader's yes is remembered per host site:
// the frame reopens and computes on the next visit without a click, another site asks again, and the widget's
// key is not the volunteer page's. Revoking forgets the yes itself, not only the host's reminder of it.
import { type Browser, chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';
import { expect, hostPage, isVolunteerRequest, lastStatus, optIn, test, watchHost, widgetFrame } from './support';

/** This Chromium phases third-party cookies out, which also denies a cross-site frame all storage; turned off here. */
const PARTITIONED_STORAGE = [...CHROMIUM_ARGS, '--disable-features=TestThirdPartyCookiePhaseout'];

let browser: Browser | null = null;
test.afterEach(async () => {
  await browser?.close();
  browser = null;
});

test('the yes is remembered per host site, and revoking forgets it', async ({ startWidgetGrid, startHost }) => {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: PARTITIONED_STORAGE });
  const context = await browser.newContext();
  const page = await context.newPage();
  const grid = await startWidgetGrid();
  const a = await startHost();
  const b = await startHost();
  await grid.setOrigins([a.origin, b.origin]);
  await watchHost(page);

  const frame = await optIn(page, a.page('/article', hostPage(grid)));
  await expect(frame.getByText('kept only while this page is open')).toBeHidden();
  await expect.poll(async () => (await lastStatus(page))?.credited ?? 0, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  const credited = (await lastStatus(page))?.credited ?? 0;
  expect((await lastStatus(page))?.remembered).toBe(true);
  await expect(frame.getByTestId('widget-counts')).toContainText('credited on this site in all, every visit (');

  // The next visit: the frame opens and computes with no click, and this site's receipts are still there.
  await page.reload();
  const again = widgetFrame(page);
  await expect(again.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
  await expect(again.getByRole('button', { name: 'Start contributing' })).toBeHidden();
  await expect.poll(async () => (await lastStatus(page))?.credited ?? 0).toBeGreaterThanOrEqual(credited);

  // Another host site: its own question, nothing run before its answer.
  await page.goto(b.page('/article', hostPage(grid)));
  const card = page.locator('bricolage-widget');
  await card.getByRole('button', { name: 'Contribute while I read…' }).click();
  await expect(widgetFrame(page).getByRole('button', { name: 'Start contributing' })).toBeEnabled();
  await expect(widgetFrame(page).getByTestId('widget-counts')).toBeHidden();

  // The volunteer page, at the coordinator's own site, has its own storage: the widget's key is not there.
  const volunteerPage = await context.newPage();
  await volunteerPage.goto(grid.url);
  await expect(volunteerPage.getByTestId('fingerprint-top')).toHaveText('none yet');
  await volunteerPage.close();

  // Back on the first site: withdraw, then come back. Nothing runs; the offer opens the question, not the work.
  await page.goto(a.page('/article', hostPage(grid)));
  await widgetFrame(page).getByRole('button', { name: 'Stop and forget this site' }).click();
  await expect(card.getByRole('button', { name: 'Contribute while I read…' })).toBeVisible();
  const revokedAt = grid.log.length;
  await page.reload();
  await card.getByRole('button', { name: 'Contribute while I read…' }).click();
  await expect(widgetFrame(page).getByRole('button', { name: 'Start contributing' })).toBeEnabled();
  expect(grid.log.slice(revokedAt).filter(isVolunteerRequest)).toEqual([]);
});

test('a planted reminder on the host opens the frame, which, finding no yes, folds back without a word', async ({
  startEmbedding,
}) => {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: PARTITIONED_STORAGE });
  const page = await (await browser.newContext()).newPage();
  const { grid, host } = await startEmbedding({ units: 1 });
  await watchHost(page);
  const url = host.page('/article', hostPage(grid));
  await page.goto(url);
  // The host writes widget.js's reminder itself, as if the reader had said yes here before.
  await page.evaluate(({ base, project }) => localStorage.setItem(`bricolage-widget:${base}:${project}`, '1'), {
    base: grid.url,
    project: grid.project,
  });
  await page.reload();
  const card = page.locator('bricolage-widget');
  await expect.poll(async () => (await lastStatus(page))?.state).toBe('consent');
  await expect(card.locator('iframe')).toHaveCount(0);
  await expect(card.getByRole('button', { name: 'Contribute while I read…' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);
});
