// Nothing is lost: results computed while the coordinator is down wait in IndexedDB and are delivered when it
// is back — live, or after a browser restart — and no work unit is lost or credited twice. Results whose
// lease ran out meanwhile (the tab was offline while the coordinator ran on: a coordinator's own downtime is
// given back to the leases) are refused by the coordinator, shown as such, and never counted.
import { join } from 'node:path';
import { API } from '@bricolage/protocol';
import type { Page, Route } from '@playwright/test';
import Database from 'better-sqlite3';
import { expect, jobCounts, openPage, receiptCount, seedPrimes, storedInPage, test } from './support';

// Work units of ≈ 0.1 s (2^25 integers), at a 50% duty cycle: there is always one in hand to finish offline.
const JOB = { limit: 2 ** 30, segment: 2 ** 25 };
const UNITS = 32;
// Work held back until an outage needs some in hand: however quick the machine, the tab cannot have computed the
// whole job before the cut (CI's once did, between the first outage's end and the second: 3 of 32 were left here).
const HELD_BACK = 20;
const SUBMIT = `**${API.submit}`;

const number = async (page: Page, testId: string) => Number(await page.getByTestId(testId).textContent());
const inHand = async (page: Page) => Number(await page.getByTestId('stats').getAttribute('data-in-hand'));

/**
 * Closes the coordinator with no result getting through meanwhile: its close lets the requests under way finish,
 * and on a loaded machine it closes slowly enough for the tab to deliver all it held before the cut.
 */
async function closeRefusingResults(page: Page, grid: { close(): Promise<void> }): Promise<void> {
  const refuse = (route: Route) => route.abort('connectionrefused');
  await page.context().route(SUBMIT, refuse);
  await grid.close();
  await page.context().unroute(SUBMIT, refuse);
}

/** The leases of the results waiting in the page's outbox (IndexedDB `bricolage`, store `outbox`). */
const outboxLeases = async (page: Page): Promise<string[]> =>
  ((await storedInPage(page, 'bricolage', 'outbox')) as { result: { lease: string } }[]).map((e) => e.result.lease);

/** The page's requests to the coordinator and their outcomes, with marks, timed from the first: printed when slow. */
function requestLog(page: Page) {
  const t0 = Date.now();
  const lines: string[] = [];
  const add = (line: string) => lines.push(`${((Date.now() - t0) / 1000).toFixed(2)} ${line}`);
  const ours = (url: string) => /\/v1\/|\/healthz/.test(url);
  page.on('request', (r) => ours(r.url()) && add(`> ${r.method()} ${new URL(r.url()).pathname}`));
  page.on('response', (r) => ours(r.url()) && add(`< ${r.status()} ${new URL(r.url()).pathname}`));
  page.on('requestfailed', (r) => ours(r.url()) && add(`x ${new URL(r.url()).pathname} ${r.failure()?.errorText}`));
  return { mark: (what: string) => add(`=== ${what}`), text: () => lines.slice(-400).join('\n') };
}

/** The coordinator's state of each lease (`ls_<n>`), read from its SQLite file. */
function replicaStates(dataDir: string, leases: readonly string[]): string[] {
  const db = new Database(join(dataDir, 'bricolage.sqlite'), { readonly: true });
  try {
    const read = db.prepare('SELECT state FROM replicas WHERE id = ?').pluck();
    return leases.map((l) => read.get(Number(l.slice(3))) as string);
  } finally {
    db.close();
  }
}

/**
 * Cuts the tab off while work released just before is in hand, and waits until the page has computed it into the
 * outbox. The tab first runs out of work, so that what it holds after the release was leased after it (a tab out
 * of work asks again within 10 s): work in hand from before could be computed and answered with "no work" before
 * the release landed, and the tab was then cut off with that answer standing, which it still gave once back
 * (CI: "No work right now" with the 20 held-back units never leased). Polled often: a quick machine computes 8
 * units in a second.
 */
async function outage(page: Page, release: () => Promise<void>, cut: () => Promise<void>): Promise<number> {
  await expect(page.getByTestId('phase')).toHaveText('No work right now', { timeout: 60_000 });
  await release();
  await expect.poll(() => inHand(page), { timeout: 30_000, intervals: [25] }).toBeGreaterThan(0);
  await cut();
  await expect(page.getByTestId('phase')).toHaveText('Coordinator unreachable');
  await expect.poll(() => number(page, 'stat-outbox')).toBeGreaterThan(0);
  await expect.poll(() => inHand(page)).toBe(0);
  await expect(page.getByTestId('offline')).toContainText('waiting');
  return number(page, 'stat-outbox');
}

test('results computed while the coordinator is down are delivered when it is back, across a browser restart', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  const port = 18782;
  const data = await scratch('outbox-data');
  const profile = await scratch('outbox-profile');
  let grid = await startGrid({ dataDir: data, port });
  let context = await launchProfile(profile);
  // Leases of 15 s hold one unit each whatever the device's measured speed (rules/lease-size.ts gives a measured
  // device as much work as it can finish within the lease, less 15 s of grace), so the tab holds only what it
  // prefetches and work is left for both outages: with the default 600 s, one lease took all 32 units on a quick
  // machine. Heartbeats renew the leases while the tab runs; the coordinator's downtime is given back to them,
  // with a minute to find it back (reconnectGraceMs): without it, one result stranded by the second outage was
  // refused as expired when a loaded machine took longer than its lease's last seconds to reopen the browser.
  const { job, release } = await seedPrimes(grid, { ...JOB, leaseSeconds: 15, heldBack: HELD_BACK });
  let page = await context.newPage();
  const requests = requestLog(page);
  await openPage(page, grid.url);
  await page.getByLabel(/Use of this device/).fill('50');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => number(page, 'stat-computed')).toBeGreaterThanOrEqual(3);

  // Outage 1: the tab keeps computing what it holds, then delivers it once the coordinator is back.
  const waiting = await outage(
    page,
    () => release(8),
    () => closeRefusingResults(page, grid),
  );
  const computedOffline = await number(page, 'stat-computed');
  requests.mark('coordinator restarting');
  grid = await startGrid({ dataDir: data, port });
  requests.mark('coordinator started');
  await expect(page.getByTestId('reachability')).toHaveText('reachable');
  requests.mark('page sees it reachable');
  // Within a few seconds as a rule. Twice in CI (2026-12-06) the outbox held 2 for the 30 s this waited, not seen
  // since; the page's requests are printed when delivery takes over 10 s, to tell what it waited on next time. A
  // submit stuck on a connection from before the outage is now given up as the coordinator is seen back
  // (Submitter.coordinatorBack), where it held the results behind it for the client's 30 s timeout.
  const back = Date.now();
  try {
    await expect.poll(() => number(page, 'stat-outbox'), { timeout: 60_000 }).toBe(0);
  } finally {
    if (Date.now() - back > 10_000)
      console.log(`delivery after the outage took ${Date.now() - back} ms:\n${requests.text()}`);
  }
  await release(4);
  await expect.poll(() => number(page, 'stat-computed'), { timeout: 45_000 }).toBeGreaterThan(computedOffline);
  expect(waiting).toBeGreaterThan(0);

  // Outage 2: the browser is closed with results still waiting, and opened again once the coordinator is back.
  const stranded = await outage(
    page,
    () => release(8),
    () => closeRefusingResults(page, grid),
  );
  expect(stranded).toBeGreaterThan(0);
  const held = await outboxLeases(page);
  expect(held).toHaveLength(stranded);
  await context.close();
  grid = await startGrid({ dataDir: data, port });
  const before = await jobCounts(grid, job);
  // A result the coordinator took as it closed, whose answer never reached the tab, is in the outbox too: its
  // delivery is a harmless repeat. The others still wait on their leases.
  const unanswered = replicaStates(data, held).filter((s) => s === 'leased').length;
  context = await launchProfile(profile);
  page = await context.newPage();
  await openPage(page, grid.url);
  // Delivered on load, without computing anything new.
  await expect.poll(() => number(page, 'stat-outbox')).toBe(0);
  await expect(page.getByTestId('phase')).toHaveText('Not running');
  await expect.poll(async () => (await jobCounts(grid, job)).validated).toBe(before.validated + unanswered);
  // Delivering signs in and submits: no compute worker was started for it.
  expect(page.workers()).toHaveLength(0);
  // Every result that waited in the outbox counts, once (quorum 1: a returned result is valid).
  expect(replicaStates(data, held)).toEqual(held.map(() => 'valid'));

  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('phase')).toHaveText('No work right now', { timeout: 60_000 });
  // "No work right now" says the coordinator has nothing left to hand out; the last results may still be on
  // their way from the outbox (a loaded machine showed 31 of 32 validated at that moment).
  await expect
    .poll(() => jobCounts(grid, job), { timeout: 30_000 })
    .toMatchObject({ validated: UNITS, unsent: 0, in_progress: 0, failed: 0 });
  // Every unit's receipt: fetched now (the wallet's Update), not at the next 15-second sync, which a loaded
  // machine's timers can push past the poll (31 of 32 once, at load 7).
  await page.getByRole('region', { name: 'Wallet' }).getByRole('button', { name: 'Update' }).click();
  await expect.poll(() => receiptCount(page)).toBe(UNITS);
  await expect(page.getByTestId('stat-validated')).toHaveText(String(UNITS));
  await expect(page.getByTestId('stat-rejected')).toHaveText('0');
  await expect(page.getByTestId('dropped')).toHaveCount(0);
  const units = await page.getByTestId('receipt-row').locator('td:nth-child(4)').allInnerTexts();
  expect(new Set(units).size).toBe(units.length);
});

test('results whose lease expired while the tab was offline are refused, shown, and never credited', async ({
  page,
  scratch,
  startGrid,
}) => {
  const port = 18783;
  const data = await scratch('expired-data');
  const grid = await startGrid({ dataDir: data, port });
  const { job, release } = await seedPrimes(grid, { ...JOB, leaseSeconds: 5, heldBack: HELD_BACK });
  await openPage(page, grid.url);
  await page.getByLabel(/Use of this device/).fill('50');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => number(page, 'stat-computed')).toBeGreaterThanOrEqual(2);
  // The coordinator runs on and sweeps: its own downtime would be given back to the leases, the tab's is not.
  const stranded = await outage(
    page,
    () => release(HELD_BACK),
    () => page.context().setOffline(true),
  );
  const cutAt = Date.now();
  // Every lease the tab held is now past its 5-second deadline, and swept (heartbeats stopped with the network).
  await expect.poll(() => Date.now() - cutAt, { timeout: 10_000, intervals: [250] }).toBeGreaterThan(6500);
  await page.context().setOffline(false);

  await expect(page.getByTestId('dropped')).toContainText('lease_expired', { timeout: 30_000 });
  await expect.poll(() => number(page, 'stat-outbox')).toBe(0);
  await expect(page.getByTestId('phase')).toHaveText('No work right now', { timeout: 60_000 });
  const refused = await number(page, 'dropped-count');
  expect(refused).toBe(stranded);

  // The refused units went back to the queue; with no other volunteer, this tab's key retakes each once a lease
  // period later (the coordinator's retake rule: a grid of one tab still finishes), as new leases. So every unit
  // validates and is credited once: none on the refused leases.
  await expect.poll(async () => (await jobCounts(grid, job)).validated, { timeout: 60_000 }).toBe(UNITS);
  await page.getByRole('region', { name: 'Wallet' }).getByRole('button', { name: 'Update' }).click();
  await expect.poll(() => receiptCount(page), { timeout: 30_000 }).toBe(UNITS);
  await expect(page.getByTestId('stat-validated')).toHaveText(String(UNITS));
  const units = await page.getByTestId('receipt-row').locator('td:nth-child(4)').allInnerTexts();
  expect(new Set(units).size).toBe(units.length);
});

test('a result the coordinator keeps failing on is set aside and shown, every result after it is delivered, and Retry in one tab sends it once fixed, shown no longer in another', async ({
  page,
  scratch,
  startGrid,
}) => {
  const port = 18791;
  const grid = await startGrid({ dataDir: await scratch('poison-data'), port });
  const { job } = await seedPrimes(grid, JOB);
  // The coordinator fails (500) on the tab's first result whenever it is sent, as it did on outputs over
  // 3.35 MB before its base64 decoder was fixed, and handles every other result as usual.
  let poison: string | null = null;
  let failedOnPoison = 0;
  let fixed = false;
  await page.route(`**${API.submit}`, async (route) => {
    const { results } = route.request().postDataJSON() as { results: { lease: string }[] };
    poison ??= results[0]?.lease ?? null;
    if (fixed || !results.some((r) => r.lease === poison)) return route.continue();
    failedOnPoison++;
    return route.fulfill({ status: 500, json: { error: { code: 'internal', message: 'internal error' } } });
  });
  await openPage(page, grid.url);
  await page.getByLabel(/Use of this device/).fill('50');
  await page.getByRole('button', { name: 'Start' }).click();

  const setAside = page.getByTestId('dropped').locator('li[data-kind="set-aside"]');
  await expect(setAside).toHaveCount(1, { timeout: 60_000 });
  await expect(setAside).toContainText(`${poison} set aside: internal`);
  // Every other work unit is delivered and validated; the poisoned one's lease is still out.
  await expect.poll(async () => (await jobCounts(grid, job)).validated, { timeout: 60_000 }).toBe(UNITS - 1);
  expect(await jobCounts(grid, job)).toMatchObject({ in_progress: 1, failed: 0 });
  await expect(page.getByTestId('phase')).toHaveText('No work right now', { timeout: 60_000 });
  await expect.poll(() => number(page, 'stat-outbox')).toBe(0);
  await expect(page.getByTestId('dropped-count')).toHaveText('1');
  await expect(page.getByTestId('stat-validated')).toHaveText(String(UNITS - 1));
  expect(failedOnPoison).toBeGreaterThanOrEqual(5);

  // After a reload it is still shown, kept in this browser, and in a second tab too; once the coordinator is fixed,
  // Retry in one tab delivers it, and the other, which did nothing, shows it no longer (the tabs share the outbox).
  await page.reload();
  await expect(setAside).toHaveCount(1, { timeout: 30_000 });
  await expect(setAside).toContainText(`${poison} set aside`);
  const other = await page.context().newPage();
  await openPage(other, grid.url);
  await expect(other.getByTestId('dropped').locator('li[data-kind="set-aside"]')).toHaveCount(1, { timeout: 30_000 });
  await expect(other.getByTestId('retry-set-aside')).toHaveCount(1);
  fixed = true;
  await page.getByTestId('retry-set-aside').click();
  await expect.poll(async () => (await jobCounts(grid, job)).validated, { timeout: 60_000 }).toBe(UNITS);
  await expect(page.getByTestId('retry-set-aside')).toHaveCount(0);
  await expect(other.getByTestId('retry-set-aside')).toHaveCount(0);
  await expect(other.getByTestId('dropped')).toHaveCount(0);
  await expect(other.getByTestId('stat-outbox')).toHaveText('0');
});
