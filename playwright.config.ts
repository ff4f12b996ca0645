// Browser tests: Playwright's runner driving Debian's Chromium (see e2e/support/chromium.ts for the flags).
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/support/chromium';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // WebRTC tests need a network namespace: playwright.webrtc.config.ts, `npm run test:e2e:webrtc`.
  testIgnore: 'peers/**',
  // Builds the runtime's harness page once per run.
  globalSetup: './e2e/support/harness.ts',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  // Two cores: one spec file at a time keeps timings meaningful and browsers from starving each other.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: process.env.CI ? 'line' : 'list',
  use: {
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    trace: 'off',
  },
});
