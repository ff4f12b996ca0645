// The widget on a host page from another site: nothing runs and no volunteer request is made before the reader
// says yes inside the coordinator's frame; after it, work units are computed and credited, and the host page hears
// counts only. The host pins widget.js with the SRI hash the coordinator publishes, and a wrong hash is refused.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { API } from '@bricolage/protocol';
import { FrameMessage } from '@bricolage/protocol/widget';
import {
  expect,
  frameOf,
  hostEvents,
  hostMessages,
  hostPage,
  isVolunteerRequest,
  test,
  watchHost,
  widgetFrame,
} from './support';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings in a frame (run through the debugging protocol, past its CSP). */
async function axeFindings(frame: import('@playwright/test').Frame): Promise<string[]> {
  await frame.evaluate(AXE);
  return frame.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(d: Document): Promise<{ violations: { id: string; impact: string | null }[] }> };
      }
    ).axe;
    return (await axe.run(document)).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}`);
  });
}

test('nothing runs before the reader’s yes; after it, units are computed and credited and the host sees counts only', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  const workers: string[] = [];
  page.on('worker', (w) => workers.push(w.url()));

  await page.goto(host.page('/article', hostPage(grid)));
  const card = page.locator('bricolage-widget');
  await expect(card.getByRole('heading', { name: 'Prime count (widget test)' })).toBeVisible();
  await expect(card).toContainText('Counts the primes below a limit');
  const offer = card.getByRole('button', { name: 'Contribute while I read…' });
  await expect(offer).toBeVisible();
  // The card has read the project's public facts and nothing else: no frame, no worker, no volunteer request.
  expect(grid.log.map((r) => r.path)).toEqual(['/widget.js', `/v1/widget/projects/${grid.project}`]);
  expect(grid.log.every((r) => r.origin === null || r.origin === host.origin)).toBe(true);
  expect(page.frames()).toHaveLength(1);

  await offer.click();
  const frame = widgetFrame(page);
  const start = frame.getByRole('button', { name: 'Start contributing' });
  await expect(start).toBeEnabled();
  await expect(frame.getByRole('heading', { name: 'Prime count (widget test)' })).toBeVisible();
  await expect(frame.getByText(`${host.origin} sees only counts`)).toBeVisible();
  // The frame shows what would run and what it costs; still nothing has asked for work or started a worker.
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);
  expect(workers).toEqual([]);
  await expect.poll(async () => (await hostEvents(page)).map((e) => e.state)).toContain('consent');
  expect(await axeFindings(await frameOf(page, grid))).toEqual([]);

  const yes = Date.now();
  await start.click();
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
  await expect
    .poll(async () => (await hostEvents(page)).findLast((e) => e.type === 'bricolage:status')?.credited ?? 0, {
      timeout: 60_000,
    })
    .toBeGreaterThanOrEqual(5);
  const firstVolunteerRequest = grid.log.find(isVolunteerRequest);
  expect(firstVolunteerRequest?.at).toBeGreaterThanOrEqual(yes);
  // The frame computes alone: it never asks for a peer room nor opens the signaling socket (README, Peers).
  expect(grid.log.filter((r) => r.path === API.peerRoom)).toEqual([]);
  expect(grid.coordinator.signaling.stats()).toMatchObject({ accepted: 0, refused: { unauthorized: 0 } });
  // Two scopes, each named: this page view's units, and the receipts (which may outnumber them) — here this visit's
  // alone, since this browser keeps a cross-site frame no storage (persist.spec has every visit's).
  await expect(frame.getByTestId('widget-counts')).toContainText(
    /^\d+ work units? computed since this page opened · \d+ credited during this visit \(/,
  );
  expect(await axeFindings(await frameOf(page, grid))).toEqual([]);

  // Credited by the coordinator, in its log, to a key the host page never saw.
  const progress = await grid.coordinator.store.progress(grid.job as never);
  expect(progress.counts.validated).toBeGreaterThanOrEqual(5);
  const [receipt] = await grid.coordinator.store.receiptsBetween(0, 1);
  const key = receipt?.body.volunteer ?? '';
  expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const messages = await hostMessages(page);
  expect(messages.length).toBeGreaterThan(0);
  expect(JSON.stringify(messages)).not.toContain(key);
  for (const m of messages) {
    expect(m.origin).toBe(grid.url);
    const parsed = FrameMessage.parse(m.data);
    // Exactly the protocol's fields: nothing extra rides along.
    expect(Object.keys(m.data as object).sort()).toEqual(Object.keys(parsed).sort());
  }
  const last = (await hostEvents(page)).findLast((e) => e.type === 'bricolage:status');
  expect(Object.keys(last ?? {}).sort()).toEqual(
    ['at', 'computed', 'credit', 'credited', 'pauseReason', 'remembered', 'state', 'type'].sort(),
  );
  expect((await frameOf(page, grid)).url()).toContain(`host=${encodeURIComponent(host.origin)}`);
  // This Chromium keeps nothing for a cross-site frame: the frame says its yes will not last, and widget.js keeps
  // no reminder that would reopen it on the next visit.
  expect(last?.remembered).toBe(false);
  await expect(frame.getByText('kept only while this page is open')).toBeVisible();
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
});

test('a widget.js whose bytes do not match the integrity the host pinned is not run', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  const errors: string[] = [];
  page.on('console', (m) => errors.push(m.text()));
  const wrong = `sha384-${Buffer.alloc(48, 7).toString('base64')}`;
  // page.goto waits for the load event, which waits for async scripts: had the script run, its card would be there.
  await page.goto(host.page('/pinned-wrong', hostPage(grid, { integrity: wrong })));
  expect(grid.log.map((r) => r.path)).toEqual(['/widget.js']);
  await expect(page.locator('bricolage-widget')).toHaveCount(0);
  expect(errors.join('\n')).toMatch(/integrity/i);

  // The hash /widget.json publishes is the one that works.
  await page.goto(host.page('/pinned', hostPage(grid)));
  await expect(
    page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' }),
  ).toBeVisible();
});

test('the question says the share Start will use, and that a browser without a battery API cannot pause for it', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  const question = widgetFrame(page).getByRole('region', { name: 'Before anything runs' });

  await page.goto(host.page('/article', hostPage(grid)));
  await page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' }).click();
  await expect(widgetFrame(page).getByRole('button', { name: 'Start contributing' })).toBeEnabled();
  await expect(question).toContainText(
    "using about 25% of one core's time. It pauses while the page is hidden, or on battery.",
  );

  // As in a browser that does not tell pages about its battery (Firefox, Safari): every frame of the page.
  await page.addInitScript(() => {
    Reflect.deleteProperty(Navigator.prototype, 'getBattery');
  });
  await page.reload();
  await page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' }).click();
  await expect(widgetFrame(page).getByRole('button', { name: 'Start contributing' })).toBeEnabled();
  await expect(question).toContainText('does not tell pages whether it runs on battery, so it cannot pause for that');
});
