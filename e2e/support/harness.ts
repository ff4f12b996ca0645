// Builds the harness page once per test run (Playwright's global setup) and says where it is.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
export const HARNESS_DIST = join(here, 'harness', 'dist');

/** `readable`: not minified, so that a profile of the page names its functions (bench:runtime --profile). */
export async function buildHarness(options: { readable?: boolean } = {}): Promise<string> {
  await build({
    configFile: join(here, 'harness', 'vite.config.ts'),
    ...(options.readable ? { build: { minify: false } } : {}),
  });
  if (!existsSync(join(HARNESS_DIST, 'index.html'))) throw new Error('the harness build produced no index.html');
  return HARNESS_DIST;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.BRICOLAGE_SKIP_HARNESS_BUILD === '1' && existsSync(join(HARNESS_DIST, 'index.html'))) return;
  await buildHarness();
}
