// How the tests and benchmarks launch Debian's Chromium: the farm's launch code, shared rather than
// written twice (see apps/farm/src/chromium.ts and ../shared/CHROMIUM.md).
import { CHROMIUM_ARGS as FARM_ARGS, findChromium } from '@bricolage/farm/chromium';

const found = findChromium();
/** Where Chromium is ($CHROMIUM_PATH or /usr/bin/chromium); launching fails with the farm's hint if missing. */
export const CHROMIUM_PATH = found.ok ? found.path : (process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');
export const CHROMIUM_ARGS = [...FARM_ARGS];
