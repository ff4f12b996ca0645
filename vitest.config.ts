// Unit and HTTP tests run in Node; browser tests run through Playwright (playwright.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // An expect.poll waits for an event; on a loaded 2-core machine vitest's 1 s let a stall decide the test.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // One real Postgres server per run, for the Postgres half of the shared store suite.
    globalSetup: ['./apps/coordinator/src/testing/postgres-setup.ts'],
  },
});
