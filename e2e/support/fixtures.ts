// Playwright fixtures for the runtime's browser tests: the harness page served from loopback.
import { test as base } from '@playwright/test';
import { HARNESS_DIST } from './harness';
import { openHarness } from './page';
import { serveStatic } from './static-server';

export const test = base.extend<{ harnessPage: import('@playwright/test').Page }, { harnessUrl: string }>({
  harnessUrl: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
    async ({}, use) => {
      const server = await serveStatic(HARNESS_DIST);
      await use(server.url);
      await server.close();
    },
    { scope: 'worker' },
  ],
  harnessPage: async ({ page, harnessUrl }, use) => {
    await openHarness(page, harnessUrl);
    await use(page);
  },
});

export { expect } from '@playwright/test';
