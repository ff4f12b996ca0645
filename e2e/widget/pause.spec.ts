// The widget pauses on its own: when the host page is hidden, when the device runs on battery, and, when the host
// asks for it, while its card is scrolled out of view. The frame learns each from its own document, so a host
// cannot keep it running by lying; it resumes when the cause goes.
import { expect, hostPage, LONG_ARTICLE, lastStatus, optIn, setPageHidden, test, watchHost } from './support';

const computedNow = async (page: import('@playwright/test').Page) => (await lastStatus(page))?.computed ?? 0;

test('hiding the host page pauses the widget, and showing it again resumes', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  const frame = await optIn(page, host.page('/article', hostPage(grid)));

  await setPageHidden(page, true);
  await expect(frame.getByTestId('widget-state')).toHaveText('Paused');
  await expect(frame.getByText('while this page is hidden')).toBeVisible();
  await expect.poll(async () => (await lastStatus(page))?.pauseReason).toBe('hidden');
  await expect.poll(async () => (await lastStatus(page))?.state).toBe('paused');

  const before = await computedNow(page);
  await setPageHidden(page, false);
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
  await expect.poll(() => computedNow(page)).toBeGreaterThan(before);
});

test('with data-pause-offscreen, scrolling the card out of view pauses it; without, it does not', async ({
  page,
  startEmbedding,
}) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  const frame = await optIn(
    page,
    host.page('/asks', hostPage(grid, { attributes: 'data-pause-offscreen', after: LONG_ARTICLE })),
  );
  await page.mouse.wheel(0, 20_000);
  await expect(frame.getByTestId('widget-state')).toHaveText('Paused');
  await expect.poll(async () => (await lastStatus(page))?.pauseReason).toBe('offscreen');
  const before = await computedNow(page);
  await page.mouse.wheel(0, -20_000);
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
  await expect.poll(() => computedNow(page)).toBeGreaterThan(before);

  // A host that did not ask keeps it running while the reader scrolls on.
  const plain = await optIn(page, host.page('/plain', hostPage(grid, { after: LONG_ARTICLE })));
  await page.mouse.wheel(0, 20_000);
  const scrolled = await computedNow(page);
  await expect.poll(() => computedNow(page)).toBeGreaterThan(scrolled + 2);
  await expect(plain.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
});

test('on battery it pauses, and carries on when plugged in', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  await watchHost(page);
  // The Battery Status API in every document of the page, the frame's included, driven by the test.
  await page.addInitScript(() => {
    const battery = Object.assign(new EventTarget(), { charging: true, level: 0.5 });
    Object.defineProperty(navigator, 'getBattery', { value: () => Promise.resolve(battery), configurable: true });
    Object.assign(window, {
      __setCharging: (charging: boolean) => {
        battery.charging = charging;
        battery.dispatchEvent(new Event('chargingchange'));
      },
    });
  });
  const frame = await optIn(page, host.page('/article', hostPage(grid)));
  const inFrame = page.frames().find((f) => f.url().startsWith(`${grid.url}/widget/frame`));
  if (!inFrame) throw new Error('no widget frame');
  const setCharging = (charging: boolean) =>
    inFrame.evaluate((c) => (window as unknown as { __setCharging(c: boolean): void }).__setCharging(c), charging);

  await setCharging(false);
  await expect(frame.getByTestId('widget-state')).toHaveText('Paused');
  await expect(frame.getByText('while the device runs on battery')).toBeVisible();
  await expect.poll(async () => (await lastStatus(page))?.pauseReason).toBe('battery');
  await setCharging(true);
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
});
