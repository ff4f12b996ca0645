// How hard the tab works: the throttle sets the duty cycle the runtime keeps, a hidden tab stops leasing, and a
// device on battery pauses (all on by default, all the volunteer's to change).
import type { Coordinator } from '@bricolage/coordinator';
import type { TabSnapshot } from '@bricolage/protocol';
import type { Page } from '@playwright/test';
import {
  expect,
  fakeBattery,
  openPage,
  seedMandelbrot,
  seedPrimes,
  setCharging,
  setHidden,
  type TestFixtures,
  test,
} from './support';

// ≈ 0.2 s per work unit (2^26 integers in WebAssembly here), 32 of them.
const JOB = { limit: 2 ** 31, segment: 2 ** 26 };

/** A coordinator on `port` with a fresh primes job of its own (a job finished by one volunteer has no work left). */
async function gridWithJob(
  { scratch, startGrid }: Pick<TestFixtures, 'scratch' | 'startGrid'>,
  port: number,
): Promise<Coordinator> {
  const grid = await startGrid({ dataDir: await scratch(`pacing-${port}`), port });
  await seedPrimes(grid, JOB);
  return grid;
}

/**
 * A coordinator on `port` with work that cannot run out before a test that says "Computing" at its end is over,
 * however fast the machine: the deep-zoom frame, 192 tiles of 0.4–0.9 s each on 2 cores. (A primes job of 32
 * short units ran dry on a quick CI machine, and the page then rightly said "No work right now".)
 */
async function gridWithWorkThatLasts(
  { scratch, startGrid }: Pick<TestFixtures, 'scratch' | 'startGrid'>,
  port: number,
): Promise<Coordinator> {
  const grid = await startGrid({ dataDir: await scratch(`pacing-${port}`), port });
  const { MANDELBROT_DEEP_ZOOM } = await import('@bricolage/workloads');
  await seedMandelbrot(grid, MANDELBROT_DEEP_ZOOM);
  return grid;
}

/** Validation times of every receipt in the log: with a quorum of one, each is the moment its result arrived. */
async function creditedAt(grid: Coordinator): Promise<number[]> {
  const times: number[] = [];
  const size = await grid.store.logSize();
  for (const r of await grid.store.receiptsBetween(0, size)) times.push(r.body.at);
  return times.sort((a, b) => a - b);
}

/** Work units per second over consecutive arrivals. */
const rate = (times: number[]) => (times.length - 1) / (((times.at(-1) as number) - (times[0] as number)) / 1000);

const computed = async (page: Page) => Number(await page.getByTestId('stat-computed').textContent());

const snapshot = (page: Page): Promise<TabSnapshot> =>
  page.evaluate(() => {
    if (!window.bricolagePage) throw new Error('the page has not published its automation hook');
    return window.bricolagePage.snapshot();
  });

test('the throttle slider sets the duty cycle the runtime keeps, and the tab goes on computing', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await gridWithJob({ scratch, startGrid }, 18786);
  await openPage(page, grid.url);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => computed(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
  expect((await snapshot(page)).throttle).toBe(1);
  const changed = Date.now();
  await page.getByLabel(/Use of this device/).fill('25');
  await expect(page.getByTestId('throttle-value')).toHaveText('25%');
  await expect.poll(async () => (await snapshot(page)).throttle).toBe(0.25);
  // How the runtime keeps a duty cycle (rests in proportion to compute time) is tested on its own, where its timings
  // can be asserted whatever the load: e2e/runtime/control.spec.ts, the runtime's throttle-pipeline.test.ts.
  const afterChange = async () => (await creditedAt(grid)).filter((t) => t > changed + 500);
  await expect.poll(async () => (await afterChange()).length, { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
  // For the record, not asserted: a shared 2-core machine's load moves these figures run to run.
  const full = rate((await creditedAt(grid)).filter((t) => t < changed).slice(-4));
  const quarter = rate(await afterChange());
  console.log(
    `throttle: 100% → ${full.toFixed(2)} WU/s, 25% → ${quarter.toFixed(2)} WU/s, measured duty ${await page.getByTestId('stat-duty').textContent()}`,
  );
});

test('a hidden tab pauses and stops leasing, unless the volunteer says otherwise', async ({
  browser,
  page,
  scratch,
  startGrid,
}) => {
  const grid = await gridWithWorkThatLasts({ scratch, startGrid }, 18787);
  const leases: number[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/volunteer/lease')) leases.push(Date.now());
  });
  const released: number[] = [];
  page.on('response', (r) => {
    if (r.url().endsWith('/v1/volunteer/release') && r.ok()) released.push(Date.now());
  });
  await openPage(page, grid.url);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => computed(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

  await setHidden(page, true);
  await expect(page.getByTestId('phase')).toHaveText('Paused');
  // The work units already in the worker when the tab was hidden are finished first ("Pausing: …"); the
  // page says "Paused" only once none is left. The count is the runtime's own, read through the automation
  // hook, not the page's figure (which is redrawn a moment later).
  await expect(page.getByTestId('phase-text')).toContainText('Paused while this tab is hidden', { timeout: 30_000 });
  const leasedWhenPaused = leases.length;
  const computedWhenPaused = (await snapshot(page)).computed;
  // A negative claim needs a span of time: several work units' worth, measured by a second volunteer (a
  // browser context of its own, so an identity of its own) that computes them meanwhile, however fast. Its work
  // is a job of its own, added now: leases are sized to a device's measured speed, and on a quick machine the
  // paused tab held every tile of the frame (CI, twice: the witness was told "No work right now" for 30 s).
  await seedPrimes(grid, { ...JOB, projectName: 'Witness work (test)' });
  const witness = await (await browser.newContext()).newPage();
  try {
    await openPage(witness, grid.url);
    await witness.getByRole('button', { name: 'Start' }).click();
    // ~2 s here; the witness's own words go with a failure.
    await expect
      .poll(() => computed(witness), {
        timeout: 30_000,
        message: 'the witness computes 4 units (its phase follows if not)',
      })
      .toBeGreaterThanOrEqual(4)
      .catch(async (e: Error) => {
        const said = await witness
          .getByTestId('phase-text')
          .textContent({ timeout: 1000 })
          .catch(() => null);
        const phase = await witness
          .getByTestId('phase')
          .textContent({ timeout: 1000 })
          .catch(() => null);
        throw new Error(`${e.message}\nwitness: ${phase} — ${said}`);
      });
  } finally {
    await witness.context().close();
  }
  expect(leases.length).toBe(leasedWhenPaused);
  expect((await snapshot(page)).computed).toBe(computedWhenPaused);
  // A pause that lasts (15 s, the runtime's PAUSED_HOLD_MS) gives back the tiles it had leased ahead, and the
  // coordinator takes them back; still nothing leased or computed.
  await expect.poll(() => released.length, { timeout: 30_000 }).toBeGreaterThan(0);
  expect(leases.length).toBe(leasedWhenPaused);
  expect((await snapshot(page)).computed).toBe(computedWhenPaused);

  // Leases are sized to the tab's measured speed (about 30 s of work each), so a tab that computes may not
  // lease again for a while: what shows that it goes on is its own count of computed units.
  await setHidden(page, false);
  await expect(page.getByTestId('phase')).toHaveText('Computing');
  await expect.poll(async () => (await snapshot(page)).computed).toBeGreaterThan(computedWhenPaused);

  await page.getByLabel('Pause when this tab is hidden').uncheck();
  await setHidden(page, true);
  const computedWhileHidden = (await snapshot(page)).computed;
  await expect.poll(async () => (await snapshot(page)).computed).toBeGreaterThan(computedWhileHidden);
  await expect(page.getByTestId('phase')).toHaveText('Computing');
});

test('hiding a plugged-in tab says it is hidden from the first word, never that it is on battery', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await gridWithWorkThatLasts({ scratch, startGrid }, 18793);
  await fakeBattery(page);
  await openPage(page, grid.url);
  await expect(page.getByTestId('battery-note')).toHaveText('Plugged in now.');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => computed(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  // Every text the live region shows, however briefly: a wrong one lasted 5–80 ms, too short to poll for.
  await page.evaluate(() => {
    const region = document.querySelector('[data-testid="phase-text"]') as HTMLElement;
    const said: string[] = [];
    (window as unknown as { said: string[] }).said = said;
    new MutationObserver(() => said.push(region.textContent ?? '')).observe(region, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
  await setHidden(page, true);
  await expect(page.getByTestId('phase-text')).toContainText('Paused while this tab is hidden', { timeout: 30_000 });
  const said = await page.evaluate(() => (window as unknown as { said: string[] }).said);
  const pauses = said.filter((text) => text.startsWith('Paus'));
  expect(pauses.length).toBeGreaterThan(0);
  for (const text of pauses) expect(text).toMatch(/this tab is hidden/);
});

test('on battery it pauses by default, and carries on when plugged in', async ({ page, scratch, startGrid }) => {
  const grid = await gridWithWorkThatLasts({ scratch, startGrid }, 18788);
  await fakeBattery(page);
  await openPage(page, grid.url);
  await expect(page.getByTestId('battery-note')).toHaveText('Plugged in now.');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => computed(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);

  await setCharging(page, false);
  await expect(page.getByTestId('phase')).toHaveText('Paused');
  await expect(page.getByTestId('phase-text')).toContainText('running on battery');
  await expect(page.getByTestId('battery-note')).toHaveText('On battery now (80%).');

  await setCharging(page, true);
  await expect(page.getByTestId('phase')).toHaveText('Computing');

  await setCharging(page, false);
  await expect(page.getByTestId('phase')).toHaveText('Paused');
  await page.getByLabel('Pause on battery').uncheck();
  await expect(page.getByTestId('phase')).toHaveText('Computing');
});

test('a Start on battery examines the device and leases nothing until it is plugged in, nor after a Stop meanwhile', async ({
  page,
  scratch,
  startGrid,
}) => {
  const grid = await gridWithWorkThatLasts({ scratch, startGrid }, 18792);
  const leases: number[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/volunteer/lease')) leases.push(Date.now());
  });
  await fakeBattery(page);
  await openPage(page, grid.url);
  await setCharging(page, false);
  await expect(page.getByTestId('battery-note')).toHaveText('On battery now (80%).');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('phase')).toHaveText('Paused');
  await expect(page.getByTestId('phase-text')).toContainText('running on battery');
  // A negative claim needs a span of time: an unpaused Start here has its device examined and its first lease
  // asked for within a second or two.
  await page.waitForTimeout(4000);
  expect(leases).toEqual([]);
  await expect(page.getByTestId('device')).toHaveCount(0);

  // Stopped while it waits, it stays stopped once plugged in: nothing examined, nothing leased.
  await page.getByRole('button', { name: 'Stop' }).click();
  await setCharging(page, true);
  await page.waitForTimeout(3000);
  expect(leases).toEqual([]);
  await expect(page.getByTestId('device')).toHaveCount(0);

  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => computed(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('device')).toBeVisible();
  expect(leases.length).toBeGreaterThan(0);
});

test('the estimate of a long work unit moves while it runs, though nothing else on the page changes', async ({
  page,
  scratch,
  startGrid,
}) => {
  // The limits below only end a hung test: a first tile can take a minute on a heavily loaded machine.
  test.setTimeout(300_000);
  const grid = await startGrid({ dataDir: await scratch('pacing-estimate'), port: 18790 });
  // Tiles inside the set, where no pixel escapes: every one runs all its steps, ≈ 1–3 s a tile here, long
  // enough for the page to show an estimate (from 1 s).
  await seedMandelbrot(grid, { width: 256, height: 256, centerX: -0.1, centerY: 0, span: 0.05, maxIter: 20_000 });
  await openPage(page, grid.url);
  await page.getByRole('button', { name: 'Start' }).click();
  const bar = page.getByRole('progressbar', { name: 'Current work unit, estimated progress' });
  await expect(bar).toBeVisible({ timeout: 180_000 });
  // Two readings within one work unit: the second further along. Readings are taken as fast as the poll goes,
  // and a new work unit starts the comparison over, so no reading depends on how long a unit takes here.
  const reading = async () => ({
    unit: await page.getByTestId('current').locator('code').textContent(),
    value: Number(await bar.getAttribute('value')),
  });
  let first = await reading();
  await expect
    .poll(
      async () => {
        const next = await reading();
        if (next.unit !== first.unit) first = next;
        return next.unit === first.unit && next.value > first.value;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
});
