// Finding and launching Debian's Chromium the way every browser test, benchmark and farm here does.
// (`npx playwright install` cannot download on these machines; see ../shared/CHROMIUM.md.)
import { accessSync, constants } from 'node:fs';

/** Flags that give headless Chromium a WebGPU adapter and keep it off a closed network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export type ChromiumLookup = { ok: true; path: string } | { ok: false; message: string };

/** `--chromium PATH`, then `$CHROMIUM_PATH`, then /usr/bin/chromium. */
export function findChromium(explicit?: string, env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const candidates = [explicit, env.CHROMIUM_PATH, DEFAULT_CHROMIUM].filter((p): p is string => !!p);
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return { ok: true, path };
    } catch {
      if (path === explicit) return { ok: false, message: `--chromium ${path} is not an executable file` };
    }
  }
  return {
    ok: false,
    message:
      "No Chromium found (looked at --chromium, $CHROMIUM_PATH and /usr/bin/chromium). Install Debian's: `sudo apt-get install -y chromium`, or pass --chromium PATH.",
  };
}
