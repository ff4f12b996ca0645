// Builds the harness page once per test run (Playwright's global setup) and says where it is.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
export const HARNESS_DIST = join(here, 'harness', 'dist');

export async function buildHarness(): Promise<string> {
  await build({ configFile: join(here, 'harness', 'vite.config.ts') });
  if (!existsSync(join(HARNESS_DIST, 'index.html'))) throw new Error('the harness build produced no index.html');
  return HARNESS_DIST;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.BRICOLAGE_SKIP_HARNESS_BUILD === '1' && existsSync(join(HARNESS_DIST, 'index.html'))) return;
  await buildHarness();
}
