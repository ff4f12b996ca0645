// Review artefacts and accessibility: screenshots of the page's main states (kept in __screenshots__/),
// axe-core on the page with no serious or critical violations, and Start reachable from the keyboard.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openPage, receiptCount, seedMandelbrot, test } from './support';

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '__screenshots__');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core in the page (through the debugging protocol, which the page's CSP does not govern). */
async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const run = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: AxeViolation[] }> } }).axe.run;
    return (await run(document)).violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      nodes: nodes.map((n) => ({ target: n.target })),
    }));
  });
}

function expectAccessible(violations: AxeViolation[], state: string): void {
  for (const v of violations)
    console.log(
      `axe (${state}): ${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });

test('the main states, screenshotted and checked with axe-core; Start works from the keyboard', async ({
  page,
  scratch,
  startGrid,
}) => {
  // The tab computes every deep-zoom tile it holds before it says it has no work (tens of seconds of them), and
  // a loaded machine takes twice that: more than the default 2 minutes for the whole test, some day.
  test.setTimeout(240_000);
  const port = 18789;
  const data = await scratch('screens');
  let grid = await startGrid({ dataDir: data, port });
  // The deep-zoom frame (192 tiles of 0.4–0.9 s each on 2 cores): the tab is still computing when the coordinator
  // goes away below, however fast the machine (64 short primes units could all be done by then on a quick one);
  // the job is paused at the end rather than waited out.
  const { MANDELBROT_DEEP_ZOOM } = await import('@bricolage/workloads');
  const { job } = await seedMandelbrot(grid, MANDELBROT_DEEP_ZOOM);
  await page.setViewportSize({ width: 1280, height: 900 });
  await openPage(page, grid.url);
  await expect(page.getByTestId('phase')).toHaveText('Not running');
  // A panel of its own chunk, shown once it has loaded.
  await expect(page.getByRole('heading', { name: 'Other grids' })).toBeVisible();
  await shot(page, 'idle');
  expectAccessible(await axe(page), 'idle');

  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'idle-phone');
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Keyboard: the skip link first, then Start.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the controls' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Start' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('current')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('phase')).toHaveText('Computing');
  await expect.poll(() => receiptCount(page)).toBeGreaterThan(2);
  await expect(page.getByTestId('current')).toBeVisible();
  await shot(page, 'computing');
  expectAccessible(await axe(page), 'computing');

  // Closed while the tab holds work, so that what it computes offline waits in the outbox.
  await expect
    .poll(async () => Number(await page.getByTestId('stats').getAttribute('data-in-hand')))
    .toBeGreaterThan(0);
  await grid.close();
  await expect(page.getByTestId('phase')).toHaveText('Coordinator unreachable');
  await expect.poll(async () => Number(await page.getByTestId('stat-outbox').textContent())).toBeGreaterThan(0);
  await shot(page, 'offline');
  expectAccessible(await axe(page), 'offline');

  grid = await startGrid({ dataDir: data, port });
  await expect(page.getByTestId('stat-outbox')).toHaveText('0', { timeout: 30_000 });
  // No more work from here on (results in flight are still accepted), whatever is left of the job.
  await grid.store.setJobState(job as never, 'paused');
  await expect(page.getByTestId('phase')).toHaveText('No work right now', { timeout: 120_000 });
  await expect(page.getByTestId('stat-outbox')).toHaveText('0');
  await page.getByRole('button', { name: 'Verify all' }).click();
  await expect(page.getByTestId('notice').last()).toContainText('receipts verified');
  await shot(page, 'no-work');
  expectAccessible(await axe(page), 'no work');
});
