// The widget for every reader: readable in dark mode whatever the host page declares, its state heard as it
// changes, its controls named, keyboard focus kept where the reader is, and a Start the host's layout blocks
// that still says why. The anti-clickjacking check itself is malicious.spec's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, Page } from '@playwright/test';
import {
  expect,
  frameOf,
  hostPage,
  isVolunteerRequest,
  LONG_ARTICLE,
  optIn,
  test,
  type WidgetGrid,
  widgetFrame,
} from './support';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings in one document (its frames left out: each is checked on its own). */
async function axeFindings(frame: Frame): Promise<string[]> {
  await frame.evaluate(AXE);
  return frame.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            d: Document,
            o: object,
          ): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe;
    return (await axe.run(document, { iframes: false })).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id} ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
}

type Rgb = readonly [number, number, number];

/** WCAG contrast ratio of two sRGB colours. */
function contrast(a: Rgb, b: Rgb): number {
  const lum = (c: Rgb) => {
    const [r, g, b] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as unknown as Rgb;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const rgb = (css: string): Rgb => {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  if (!m) throw new Error(`not an rgb colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};

/** The colour the reader sees at (x, y) of the page: a screenshot's pixel, decoded by a blank page's canvas. */
async function pixel(page: Page, x: number, y: number): Promise<Rgb> {
  const png = await page.screenshot({ clip: { x: Math.round(x), y: Math.round(y), width: 1, height: 1 } });
  const decoder = await page.context().newPage();
  try {
    return await decoder.evaluate(
      async (src) => {
        const image = new Image();
        image.src = src;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 1;
        const context = canvas.getContext('2d');
        if (!context) throw new Error('no 2d context');
        context.drawImage(image, 0, 0);
        const [r = 0, g = 0, b = 0] = context.getImageData(0, 0, 1, 1).data;
        return [r, g, b] as const;
      },
      `data:image/png;base64,${png.toString('base64')}`,
    );
  } finally {
    await decoder.close();
  }
}

const offer = (page: Page) =>
  page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' });

async function openFrame(page: Page, url: string) {
  await page.goto(url);
  await offer(page).click();
  const start = widgetFrame(page).getByRole('button', { name: 'Start contributing' });
  return start;
}

for (const declared of [true, false])
  test(`in dark mode the frame is readable and one with its card on a host that ${declared ? 'declares' : 'does not declare'} color-scheme`, async ({
    page,
    startEmbedding,
  }) => {
    const { grid, host } = await startEmbedding({ units: 1 });
    await page.emulateMedia({ colorScheme: 'dark' });
    let html = hostPage(grid);
    if (declared) html = html.replace('<head>', '<head><meta name="color-scheme" content="light dark">');
    const start = await openFrame(page, host.page('/dark', html));
    await expect(start).toBeEnabled();
    const frame = await frameOf(page, grid);

    // What the reader sees: the frame's background is the card's, and a dark one, not a box of another colour.
    const iframe = page.locator('bricolage-widget iframe');
    const box = await iframe.boundingBox();
    if (!box) throw new Error('the frame has no box');
    const card = await pixel(page, box.x - 6, box.y + 10);
    const inFrame = await pixel(page, box.x + 1, box.y + 1);
    for (let i = 0; i < 3; i++) expect(Math.abs((inFrame[i] ?? 0) - (card[i] ?? 0))).toBeLessThanOrEqual(2);
    expect(contrast(card, [255, 255, 255])).toBeGreaterThan(10);
    // The consent question against what is really behind it.
    const ink = rgb(await frame.evaluate(() => getComputedStyle(document.querySelector('section p') as Element).color));
    expect(contrast(ink, inFrame)).toBeGreaterThanOrEqual(4.5);

    expect(await axeFindings(frame)).toEqual([]);
    expect(await axeFindings(page.mainFrame())).toEqual([]);
  });

test('the card speaks English on a French page', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  await page.goto(host.page('/fr', hostPage(grid).replace('<html lang="en">', '<html lang="fr">')));
  await expect(offer(page)).toBeVisible();
  expect(await offer(page).evaluate((b) => b.closest('[lang]')?.getAttribute('lang'))).toBe('en');
});

test('the card’s focus ring stands out against it, in light and dark', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  await page.goto(host.page('/article', hostPage(grid)));
  await expect(offer(page)).toBeVisible();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.keyboard.press('Tab');
    await expect(offer(page)).toBeFocused();
    const [ring, behind] = await offer(page).evaluate((b) => [
      getComputedStyle(b).outlineColor,
      getComputedStyle(b.closest('.card') as Element).backgroundColor,
    ]);
    expect(contrast(rgb(ring ?? ''), rgb(behind ?? '')), `${colorScheme}: ${ring} on ${behind}`).toBeGreaterThanOrEqual(
      3,
    );
    await page.keyboard.press('Shift+Tab');
  }
});

test('the state line is a live region', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  const line = frame.getByRole('status').filter({ has: frame.getByTestId('widget-state') });
  await expect(line).toHaveText(/^(Computing|No work right now)/);
  // Start again is not shown, so neither is any reason it could not be pressed.
  await expect(frame.locator('#why-again')).toBeHidden();
  await frame.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(line).toHaveText(/^Stopped/);
});

test('the share control is named for what it sets', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await expect(frame.getByRole('combobox', { name: 'Share of one core' })).toHaveValue('25');
});

test('keyboard focus follows the reader from the card into the frame, through Start and Stop', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  await page.goto(host.page('/article', hostPage(grid)));
  const frame = widgetFrame(page);
  await expect(offer(page)).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(offer(page)).toBeFocused();
  await page.keyboard.press('Enter');
  // Into the frame, whose first stop is its Start.
  await expect(page.locator('bricolage-widget iframe')).toBeFocused();
  const start = frame.getByRole('button', { name: 'Start contributing' });
  await expect(start).toBeEnabled();
  await page.keyboard.press('Tab');
  await expect(start).toBeFocused();
  await page.keyboard.press('Enter');
  const stop = frame.getByRole('button', { name: 'Stop', exact: true });
  await expect(stop).toBeFocused();
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
  await page.keyboard.press('Enter');
  const again = frame.getByRole('button', { name: 'Start again' });
  await expect(again).toBeFocused();
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');
  // The state reads Stopped once the reader's Stop is taken; Start again waits until the units in the worker are done
  // (it says "Still stopping" to a press before: CI, 2026-12-05, pressed then and no Stop came).
  await expect(again).toBeEnabled();
  await page.keyboard.press('Enter');
  await expect(stop).toBeFocused();
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
});

test('after Stop and forget this site, focus is back on the card’s button, which says what happened', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  await frame.getByRole('button', { name: 'Stop and forget this site' }).focus();
  await page.keyboard.press('Enter');
  // The frame is gone: focus is back on the card's button, which the note saying what happened describes.
  await expect(page.locator('bricolage-widget iframe')).toHaveCount(0);
  await expect(offer(page)).toBeFocused();
  await expect(offer(page)).toHaveAccessibleDescription('Stopped. This site no longer runs anything for you.');
});

/** The card inside a column the test can transform or scroll past. */
const columnPage = (grid: WidgetGrid) =>
  hostPage(grid, { before: '<main id="column">', after: `</main>${LONG_ARTICLE}` });

test('a Start the host’s layout keeps from starting stays reachable by keyboard and says why', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  await page.goto(host.page('/transform', columnPage(grid)));
  // As a host whose article column is scaled a little: nothing sinister, but the frame cannot tell.
  await page.evaluate(() => {
    (document.getElementById('column') as HTMLElement).style.transform = 'scale(0.98)';
  });
  await offer(page).click();
  const frame = widgetFrame(page);
  const start = frame.getByRole('button', { name: 'Start contributing' });
  const why = "This site's layout covers, fades or transforms part of the widget, so it cannot start here.";
  // Shown beside it (the frame's one hint for Start; Start again has its own).
  const hint = frame.locator('#why-start');
  await expect(hint).toBeVisible();
  await expect(hint).toHaveText(why);
  await expect(start).toBeDisabled();
  await expect(start).toHaveAccessibleDescription(why);
  // Reachable by Tab (the frame's first stop), and a press says why, in the frame's live region.
  await frame.getByRole('heading').click();
  await page.keyboard.press('Tab');
  await expect(start).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(frame.getByRole('status').filter({ hasText: 'Nothing started.' })).toHaveText(`Nothing started. ${why}`);
  expect(grid.log.filter(isVolunteerRequest)).toEqual([]);

  // Untransformed, it starts.
  await page.evaluate(() => {
    (document.getElementById('column') as HTMLElement).style.transform = '';
  });
  await expect(start).toBeEnabled();
  await expect(hint).toBeHidden();
  await start.click();
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
});

test('a Start partly scrolled out of view asks to be scrolled into view', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  await page.setViewportSize({ width: 800, height: 600 });
  const start = await openFrame(page, host.page('/scroll', columnPage(grid)));
  await expect(start).toBeEnabled();
  const box = await start.boundingBox();
  if (!box) throw new Error('Start has no box');
  // Only the bottom half of Start left at the top of the viewport.
  await page.evaluate((y) => window.scrollBy(0, y), box.y + box.height / 2);
  const why = widgetFrame(page).locator('#why-start');
  await expect(why).toBeVisible();
  await expect(why).toHaveText('Scroll the widget fully into view to start.');
  await expect(start).toBeDisabled();
  await expect(start).toHaveAccessibleDescription('Scroll the widget fully into view to start.');
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(start).toBeEnabled();
  await expect(why).toBeHidden();
});

test('a Stop pressed while the frame is still starting is obeyed', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  await page.goto(host.page('/article', hostPage(grid)));
  const frame = widgetFrame(page);
  await offer(page).click();
  const start = frame.getByRole('button', { name: 'Start contributing' });
  await expect(start).toBeEnabled();
  await start.press('Enter');
  // Focus lands on Stop as soon as the question folds, before the volunteer has signed in: a reader who
  // presses it at once has stopped, and stays stopped.
  const stop = frame.getByRole('button', { name: 'Stop', exact: true });
  await expect(stop).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');
  await expect(frame.getByRole('button', { name: 'Start again' })).toBeVisible();
  const leases = grid.log.filter((r) => r.path === '/v1/volunteer/lease').length;
  await expect
    .poll(() => grid.log.filter((r) => r.path === '/v1/volunteer/lease').length, { timeout: 3000 })
    .toBe(leases);
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');
});

test('a Start that cannot be pressed yet still reads at 4.5:1 or more, in light and dark', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding({ units: 1 });
  await page.goto(host.page('/transform', columnPage(grid)));
  // Held unavailable by the host's layout (as above), so its colours are the unavailable ones for as long as needed.
  await page.evaluate(() => {
    (document.getElementById('column') as HTMLElement).style.transform = 'scale(0.98)';
  });
  await offer(page).click();
  const start = widgetFrame(page).getByRole('button', { name: 'Start contributing' });
  await expect(start).toBeDisabled();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const [ink, behind] = await start.evaluate((b) => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]);
    expect(contrast(rgb(ink ?? ''), rgb(behind ?? '')), `${colorScheme}: ${ink} on ${behind}`).toBeGreaterThanOrEqual(
      4.5,
    );
  }
});
