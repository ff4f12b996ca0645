// A page's leases outlive it no longer than they must. A page that goes sends the results it has not delivered and
// gives back what it held (pagehide, keepalive requests), so its units are wanted again at once rather than when their 10-minute leases run out; a
// page that crashed (no pagehide) leaves them held, and the key's next page takes them back and computes them. A
// page that goes while a lease request is out names it as it goes, and what the request was granted comes back too.
import { execFileSync } from 'node:child_process';
import type { Coordinator } from '@bricolage/coordinator';
import { API, type JobId } from '@bricolage/protocol';
import type { Page } from '@playwright/test';
import { expect, jobCounts, openPage, seedPrimes, test } from './support';

const PORT = 18786;
const UNITS = 200;
// About 50 ms of work each (2^25 integers take ≈ 0.1 s, outbox.spec.ts): the job, ~10 s of a tab's work, lasts
// far longer than the test waits before it leaves. With 2^22 (≈ 12 ms), the whole job was 2.5 s of work, and
// a poll's second of lag ate a third of it.
const SEGMENT = 2 ** 24;
// Long enough that a lease running out could never be what frees a unit during a test.
const LEASE_SECONDS = 600;

const seed = async (grid: Coordinator) =>
  (await seedPrimes(grid, { limit: UNITS * SEGMENT, segment: SEGMENT, leaseSeconds: LEASE_SECONDS })).job;
const validated = async (grid: Coordinator, job: string) => (await jobCounts(grid, job)).validated;
/** Some results validated, and units held by the page now: what a test of what happens to held units needs first. */
async function computingAndHolding(grid: Coordinator, job: string): Promise<boolean> {
  const counts = await jobCounts(grid, job);
  return counts.validated > 2 && counts.in_progress > 0;
}
const activity = (grid: Coordinator, job: string) => grid.store.activity(job as JobId, 10);
const errors = async (grid: Coordinator, job: string) => (await activity(grid, job)).errors;

/** Opens the page and presses Start, as a volunteer does. */
async function contribute(page: Page, url: string): Promise<void> {
  await openPage(page, url);
  await page.getByRole('button', { name: 'Start' }).click();
}

test('a page that goes gives back the units it held: the next reader’s page computes them at once', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  const grid = await startGrid({ dataDir: await scratch('leave-data'), port: PORT });
  const job = await seed(grid);
  const page = await (await launchProfile(await scratch('leave-profile'))).newPage();
  await contribute(page, grid.url);
  // Leaves while it holds units (between a lease's results and its next lease it may hold none, on a busy machine).
  await expect.poll(() => computingAndHolding(grid, job), { timeout: 60_000, intervals: [50] }).toBe(true);
  await page.goto('about:blank');

  // Another browser, another key: only units given back (or never leased) can come its way before their deadlines.
  await contribute(await (await launchProfile(await scratch('next-profile'))).newPage(), grid.url);
  // All of it: the results the page had not yet delivered went with it, the rest came back. Without the give-back,
  // the ~195 units it held would wait 10 minutes.
  await expect.poll(() => validated(grid, job), { timeout: 120_000 }).toBe(UNITS);
  // Given back, not failed: the job's activity shows no error of anyone's.
  const activity = await grid.store.activity(job as JobId, 10);
  expect(activity.errors, `errors by code: ${JSON.stringify(activity.errorCodes)}`).toBe(0);
});

test('a page that goes while its lease request is out gives back what the request was granted', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  const grid = await startGrid({ dataDir: await scratch('unread-data'), port: PORT });
  const job = await seed(grid);
  const page = await (await launchProfile(await scratch('unread-profile'))).newPage();
  // The page's first lease request reaches the coordinator, which grants it units; the page goes before it reads
  // the answer. It never knew those leases: only the request's name, given back as it goes, can return them.
  let granted = -1;
  let gone: Promise<unknown> | null = null;
  // Lease requests sent once the page is going: the browser drops the one out as the page goes, and a page that
  // asked again then held what that second request was granted until its deadlines (activeVolunteers stayed 1).
  let askedAfter = 0;
  await page.route(`**${API.lease}`, async (route) => {
    if (gone) {
      askedAfter++;
      return route.continue();
    }
    await route.fetch();
    granted = (await activity(grid, job)).issued;
    gone = page.goto('about:blank');
  });
  await contribute(page, grid.url);
  await expect.poll(() => gone !== null, { timeout: 60_000 }).toBe(true);
  await gone;
  expect(granted).toBeGreaterThan(0);
  // Back at once, not at their 10-minute deadlines, and charged to no one.
  await expect
    .poll(async () => {
      const { activeVolunteers, givenBack, errors } = await activity(grid, job);
      return { activeVolunteers, givenBack, errors };
    })
    .toEqual({ activeVolunteers: 0, givenBack: granted, errors: 0 });
  expect(askedAfter).toBe(0);
});

test('a page back from the back-forward cache carries on computing', async ({ scratch, startGrid, launchProfile }) => {
  const grid = await startGrid({ dataDir: await scratch('cached-data'), port: PORT });
  const page = await (await launchProfile(await scratch('cached-profile'), { backForwardCache: true })).newPage();
  await page.addInitScript(() => {
    addEventListener('pageshow', (event) => {
      (window as { restored?: boolean }).restored = event.persisted;
    });
  });
  await openPage(page, grid.url);
  // Chromium may still evict a page from its cache (an answer arriving for a request it had out, say); the Back
  // button then loads it afresh, and the test goes round again.
  for (let round = 1; ; round++) {
    // Short units (≈ 12 ms), many of them: the page hands the worker hundreds at once, as a fast tab does.
    const { job: first } = await seedPrimes(grid, {
      limit: 1500 * 2 ** 22,
      segment: 2 ** 22,
      leaseSeconds: LEASE_SECONDS,
    });
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => computingAndHolding(grid, first), { timeout: 60_000, intervals: [50] }).toBe(true);
    await page.goto(`${grid.url}/healthz`);
    // It went, giving back what it held (its key may not take those again for a while: the retake rule), and new
    // work comes meanwhile.
    await expect.poll(async () => (await activity(grid, first)).activeVolunteers).toBe(0);
    const next = await seed(grid);
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForFunction(() => (window as { restored?: boolean }).restored !== undefined);
    if (!(await page.evaluate(() => (window as { restored?: boolean }).restored))) {
      expect(round, 'restored from the cache in one of 3 rounds').toBeLessThan(3);
      await openPage(page, grid.url);
      continue;
    }
    // Before, the page came back saying "Computing" and computed nothing: it waited on the units the worker held as
    // it went (given back), whose outcomes never came.
    await expect.poll(() => validated(grid, next), { timeout: 60_000 }).toBe(UNITS);
    return;
  }
});

test('after a crash, the key’s next page takes back the units the crashed one held and computes them', async ({
  scratch,
  startGrid,
  launchProfile,
}) => {
  const grid = await startGrid({ dataDir: await scratch('resume-data'), port: PORT });
  const profile = await scratch('resume-profile');
  const context = await launchProfile(profile);
  const job = await seed(grid);
  await contribute(await context.newPage(), grid.url);
  await expect.poll(() => computingAndHolding(grid, job), { timeout: 60_000, intervals: [50] }).toBe(true);

  // The browser dies at once (SIGKILL): no pagehide, no give-back; the key (in the profile) outlives it.
  const closed = new Promise((resolve) => context.once('close', resolve));
  execFileSync('pkill', ['-KILL', '-f', `user-data-dir=${profile}`]);
  await closed;
  expect((await jobCounts(grid, job)).in_progress).toBeGreaterThan(0);

  // Nothing else would lease the units it held before their 10-minute deadlines: the job ends only if they came back.
  await contribute(await (await launchProfile(profile)).newPage(), grid.url);
  await expect.poll(() => validated(grid, job), { timeout: 120_000 }).toBe(UNITS);
  expect(await errors(grid, job)).toBe(0);
});
