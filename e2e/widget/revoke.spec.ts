// Withdrawing consent from the frame stops everything within a second: the frame says so only once its worker is
// gone and its yes forgotten, the host folds the card back, and nothing runs after a reload.
import {
  expect,
  frameOf,
  hostEvents,
  hostPage,
  isVolunteerRequest,
  lastStatus,
  optIn,
  test,
  watchHost,
} from './support';

test('revoking consent stops everything, folds the card, and nothing runs after a reload', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  const workers: { closed: boolean }[] = [];
  page.on('worker', (worker) => {
    const seen = { closed: false };
    workers.push(seen);
    worker.on('close', () => {
      seen.closed = true;
    });
  });
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await expect.poll(async () => (await lastStatus(page))?.computed ?? 0).toBeGreaterThanOrEqual(2);
  expect(workers.some((w) => !w.closed)).toBe(true);

  await frame.getByRole('button', { name: 'Stop and forget this site' }).click();
  await expect.poll(async () => (await lastStatus(page))?.state).toBe('revoked');
  const card = page.locator('bricolage-widget');
  await expect(card.locator('iframe')).toHaveCount(0);
  await expect(card).toContainText('This site no longer runs anything for you');
  await expect(card.getByRole('button', { name: 'Contribute while I read…' })).toBeVisible();
  await expect.poll(() => workers.every((w) => w.closed)).toBe(true);
  const stoppedAt = grid.log.length;

  await page.reload();
  await expect(card.getByRole('button', { name: 'Contribute while I read…' })).toBeVisible();
  // The host's reminder was cleared: no frame opens by itself, and nothing asks for work.
  expect(page.frames()).toHaveLength(1);
  expect(grid.log.slice(stoppedAt).filter(isVolunteerRequest)).toEqual([]);
  expect(grid.log.slice(stoppedAt).map((r) => r.path)).not.toContain('/widget/frame');
  expect((await hostEvents(page)).filter((e) => e.type === 'bricolage:status')).toEqual([]);
});

test('the frame stops within a second of the reader’s press, by its own clock', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  // Framed without widget.js, which would remove the frame on `revoked` before the test could read its clock.
  const src = `${grid.url}/widget/frame?project=${grid.project}&host=${encodeURIComponent(host.origin)}`;
  await page.goto(
    host.page('/bare', `<!doctype html><title>bare</title><iframe src="${src}" width="500" height="400"></iframe>`),
  );
  const frame = page.frameLocator('iframe');
  // The question says the share Start will use: the default first, then the reader's own choice.
  const question = frame.getByRole('region', { name: 'Before anything runs' });
  await expect(question).toContainText("using about 25% of one core's time");
  await frame.getByRole('button', { name: 'Start contributing' }).click();
  const state = frame.getByTestId('widget-state');
  await expect(state).toHaveText(/Computing|No work right now/);
  await frame.getByLabel('Share of one core').selectOption('100');
  await expect(frame.getByTestId('widget-counts')).toContainText(/^([2-9]|\d\d+) work units computed/);

  await frame.getByRole('button', { name: 'Stop and forget this site' }).click();
  const inFrame = await frameOf(page, grid);
  await expect.poll(() => inFrame.evaluate(() => performance.getEntriesByName('bricolage:revoked').length)).toBe(1);
  const took = await inFrame.evaluate(
    () =>
      (performance.getEntriesByName('bricolage:revoked')[0]?.startTime ?? Number.NaN) -
      (performance.getEntriesByName('bricolage:revoke')[0]?.startTime ?? Number.NaN),
  );
  console.log(`revoke: volunteer closed and consent forgotten ${took.toFixed(0)} ms after the press`);
  // The bound: measured from the click handler to the volunteer closed (worker terminated) and the
  // consent written away, on the frame's clock.
  expect(took).toBeLessThanOrEqual(1000);
  const leasesThen = grid.log.filter((r) => r.path === '/v1/volunteer/lease').length;
  // Back at the question, with nothing running: a yes is needed again, and it says the share kept.
  await expect(frame.getByRole('button', { name: 'Start contributing' })).toBeVisible();
  await expect(question).toContainText("using about 100% of one core's time");
  await page.reload();
  await expect(page.frameLocator('iframe').getByRole('button', { name: 'Start contributing' })).toBeEnabled();
  expect(grid.log.filter((r) => r.path === '/v1/volunteer/lease').length).toBe(leasesThen);
});
