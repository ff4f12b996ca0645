// The swarm view's readers (support.ts) read what the page shows however slowly a loaded machine lets the page
// answer: a page that shows three volunteers is never read as one that shows no swarm. No WebRTC here: a page
// with the view's markup alone, whose main thread is kept busy as three computing tabs on two cores can keep it.
import { expect, test } from '@playwright/test';
import { bytesServed, swarmConnections, swarmPeers } from './support';

/** Keeps the page's main thread busy for `ms`, from now on (the busy loop begins before this returns). */
async function busy(page: import('@playwright/test').Page, ms: number): Promise<void> {
  await page.evaluate((ms) => {
    setTimeout(() => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    }, 0);
  }, ms);
  // The loop has begun: the page answers nothing until it ends.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

test('a page busy for seconds is read as what it shows, and a page without the view as -1', async ({ page }) => {
  await page.setContent(
    '<p data-testid="swarm-online" data-peers="3" data-connections="2"></p><p data-testid="swarm-served" data-bytes="5242880"></p>',
  );
  await busy(page, 3000);
  expect(await swarmPeers(page)).toBe(3);
  expect(await swarmConnections(page)).toBe(2);
  expect(await bytesServed(page)).toBe(5 * 1024 * 1024);

  await page.setContent('<p>No swarm yet</p>');
  expect(await swarmPeers(page)).toBe(-1);
});
