// The host page's Stop is obeyed whenever it comes, also while the frame is still starting (signing in, reading
// its counters): that start then goes no further, and nothing is leased.
import { API } from '@bricolage/protocol';
import type { Route } from '@playwright/test';
import { expect, frameOf, test } from './support';

test('a Stop from the host while the frame is still starting is obeyed', async ({ page, startEmbedding }) => {
  const { grid, host } = await startEmbedding();
  // The frame's reads of its volunteer's counters, the last step before its runtime starts, are held until the
  // host's Stop is in: so the Stop comes while the frame is starting, every time.
  const held: Route[] = [];
  let holding = true;
  let reached: () => void = () => undefined;
  const starting = new Promise<void>((resolve) => {
    reached = resolve;
  });
  await page.route(`${grid.url}${API.me}`, async (route) => {
    if (!holding) return route.continue();
    held.push(route);
    reached();
  });

  // Framed plainly (as malicious.spec does), so that the test can post to the frame as the host page does.
  const src = `${grid.url}/widget/frame?project=${grid.project}&host=${encodeURIComponent(host.origin)}`;
  await page.goto(host.page('/plain', `<!doctype html><title>plain</title><iframe src="${src}"></iframe>`));
  const frame = page.frameLocator('iframe');
  await frame.getByRole('button', { name: 'Start contributing' }).click();
  await starting;
  await page.evaluate((coordinator) => {
    window.frames[0]?.postMessage({ type: 'bricolage:stop' }, coordinator);
    // The frame counts messages it ignores: once it has seen this one, it has handled the Stop sent before it.
    window.frames[0]?.postMessage({ type: 'not a command' }, coordinator);
  }, grid.url);
  const widget = await frameOf(page, grid);
  await expect.poll(() => widget.evaluate(() => document.documentElement.dataset.ignoredMessages)).toBe('1');

  holding = false;
  for (const route of held) await route.continue();
  // Long enough for a start that went on to lease: it examines the device and asks for work within a second or two.
  const released = Date.now();
  await expect.poll(() => Date.now() - released, { timeout: 15_000, intervals: [250] }).toBeGreaterThan(5000);
  expect(grid.log.filter((r) => r.path === API.lease)).toEqual([]);
  await expect(frame.getByTestId('widget-state')).toHaveText('Stopped');
});
