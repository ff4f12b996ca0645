// The receipts store's test page (e2e/fixtures: @bricolage/receipts, the protocol and the store's testing helpers
// on \`window.harness\`), opened once its modules are ready: the page both store specs drive.
import type { Page } from '@playwright/test';

declare global {
  interface Window {
    harness: {
      receipts: typeof import('@bricolage/receipts');
      protocol: typeof import('@bricolage/protocol');
      testing: typeof import('@bricolage/receipts/testing');
    };
    harnessReady: boolean;
  }
}

export async function openStoreHarness(page: Page, url: string): Promise<void> {
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(`${url}/index.html`);
  await page.waitForFunction(() => window.harnessReady === true);
}
