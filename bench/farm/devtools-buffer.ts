// `npm run bench:devtools -- [--mb 200] [--json]`: what a page's renderer keeps of the responses it fetched,
// driven by Playwright (which keeps the DevTools Network domain on) and by the farm's own driver (which does
// not). The same loop of 50 KB fetches from a loopback server runs in each; the renderer's PSS is read after
// a forced garbage collection before and after. The farm's driver exists because of this difference.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BrowserTab, CHROMIUM_ARGS, findChromium } from '@bricolage/farm';
import { chromium } from 'playwright-core';
import { browserProcesses, pssByKind } from './breakdown';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '200' },
    chromium: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => (args.json ? console.error(line) : console.log(line));
const found = findChromium(args.chromium);
if (!found.ok) throw new Error(found.message);
const RESPONSE_BYTES = 50_000;
const fetches = Math.round((Number(args.mb) * 1e6) / RESPONSE_BYTES);
const GC = '--js-flags=--expose-gc';

const body = JSON.stringify({ pad: 'x'.repeat(RESPONSE_BYTES - 10) });
const server = createServer((req, res) => {
  const page = req.url === '/';
  res.setHeader('content-type', page ? 'text/html' : 'application/json');
  res.end(page ? '<!doctype html><title>fetch loop</title>' : body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

/** The loop, as source the page runs: `n` fetches, each body read, then a full collection. */
const loop = async ([base, n]: readonly [string, number]) => {
  for (let i = 0; i < n; i++) await (await fetch(`${base}/r${i}`)).arrayBuffer();
  return true;
};
const collect = () => {
  (globalThis as unknown as { gc(): void }).gc();
  return true;
};

interface Driven {
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}

async function measure(name: string, open: (profile: string) => Promise<Driven>) {
  const profile = mkdtempSync(join(tmpdir(), 'bricolage-devtools-'));
  const rendererMb = () => pssByKind(browserProcesses([profile])).total.get('renderer') ?? Number.NaN;
  const settle = async (page: Driven) => {
    await page.evaluate(collect, null);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  };
  const page = await open(profile);
  try {
    await settle(page);
    const before = rendererMb();
    await page.evaluate(loop, [url, fetches] as const);
    await settle(page);
    const after = rendererMb();
    log(
      `  ${name.padEnd(22)} renderer PSS ${before.toFixed(0)} → ${after.toFixed(0)} MB (+${(after - before).toFixed(0)} MB)`,
    );
    return { before_mb: Math.round(before), after_mb: Math.round(after), growth_mb: Math.round(after - before) };
  } finally {
    await page.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

log(
  `devtools buffer: ${fetches} fetches of ${RESPONSE_BYTES / 1000} KB (${args.mb} MB) in one page, GC forced before reading PSS`,
);
const playwright = await measure('driven by Playwright', async (profile) => {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: found.path,
    args: [...CHROMIUM_ARGS, GC],
    headless: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  return { evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never, close: () => context.close() };
});
const farm = await measure('driven by the farm', async (profile) => {
  const tab = await BrowserTab.launch({ chromium: found.path, profile, extraArgs: [GC] });
  await tab.navigate(url);
  await tab.waitFor(() => document.readyState === 'complete', null, 30_000);
  return { evaluate: (fn, arg) => tab.evaluate(fn, arg), close: () => tab.close() };
});
server.close();
const kept = playwright.growth_mb - farm.growth_mb;
log(
  `  Playwright's session keeps ${kept} MB more of ${args.mb} MB fetched (ratio ${(playwright.growth_mb / Math.max(1, farm.growth_mb)).toFixed(1)}×)`,
);
if (args.json) console.log(JSON.stringify({ fetched_mb: Number(args.mb), playwright, farm, kept_mb: kept }));
