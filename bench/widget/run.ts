// `npm run bench:widget [-- --runs 5] [--no-build] [--json]`: the embeddable widget on a host page from another
// site, in headless Chromium against an in-process coordinator seeded with the demo. Figures: widget.js's size;
// the reader's click on the card's offer → the frame ready (its own clock, from its navigation); and the reader's
// Start in the frame (the opt-in) → the first work unit computing. A fresh browser context each run, so each
// includes making a key and calibrating the device (this Chromium keeps nothing for cross-site frames).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { seedPrimesDemo, startCoordinator } from '@bricolage/coordinator';
import { API, type ProjectId } from '@bricolage/protocol';
import type { WidgetManifest } from '@bricolage/protocol/widget';
import { chromium } from '@playwright/test';
import { build } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/support/chromium';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const root = resolve(import.meta.dirname, '../..');
const web = join(root, 'apps/web/dist');
const script = join(root, 'packages/widget/dist/widget.js');
const runs = Math.max(1, Number(args.runs));

if (!args['no-build']) {
  await build({ configFile: join(root, 'apps/web/vite.config.ts'), logLevel: 'error' });
  await build({ configFile: join(root, 'packages/widget/vite.config.ts'), logLevel: 'error' });
}
const widgetBytes = readFileSync(script);

const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-bench-widget-'));
const coordinator = await startCoordinator({ dataDir, port: 0, webRoot: web, widgetScript: script });
await seedPrimesDemo(coordinator, { limit: 2 ** 30, segment: 2 ** 20 });
const project = (await coordinator.store.listProjects())[0]?.id as ProjectId;
const manifest = (await (await fetch(coordinator.url + API.widgetManifest)).json()) as WidgetManifest;

const host = createServer((_req, res) => {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>host</title><h1>An article</h1>
<script src="${manifest.src}" data-project="${project}" integrity="${manifest.integrity}" crossorigin="anonymous" async></script>`);
});
await new Promise<void>((done) => host.listen(0, '127.0.0.1', done));
// Another site than the coordinator's 127.0.0.1, as a real host would be.
const hostOrigin = `http://localhost:${(host.address() as AddressInfo).port}`;
await coordinator.store.setEmbeddingOrigins(project, [hostOrigin]);

interface Sample {
  frameReady: number;
  startToFirstCompute: number;
}
const samples: Sample[] = [];
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${hostOrigin}/`);
    await page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' }).click();
    const start = page.frameLocator('bricolage-widget iframe').getByRole('button', { name: 'Start contributing' });
    await start.click(); // waits until the frame is ready and Start is seen unobscured
    const frame = page.frames().find((f) => f.url().startsWith(`${coordinator.url}/widget/frame`));
    if (!frame) throw new Error('no widget frame');
    await frame.waitForFunction(() => performance.getEntriesByName('bricolage:first-compute').length > 0, null, {
      timeout: 60_000,
    });
    // A string, not a function: tsx would wrap a function's inner helpers in a `__name` the page lacks.
    const marks = (await frame.evaluate(`Object.fromEntries(['ready', 'start', 'first-compute'].map((n) =>
      [n, performance.getEntriesByName('bricolage:' + n)[0]?.startTime ?? NaN]))`)) as Record<string, number>;
    samples.push({
      frameReady: marks.ready as number,
      startToFirstCompute: (marks['first-compute'] as number) - (marks.start as number),
    });
    await context.close();
  }
} finally {
  await browser.close();
  await new Promise<void>((done) => host.close(() => done()));
  await coordinator.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const figures = {
  widget_js_bytes: widgetBytes.length,
  widget_js_gzip_bytes: gzipSync(widgetBytes, { level: 9 }).length,
  runs,
  offer_to_frame_ready_ms: Math.round(median(samples.map((s) => s.frameReady))),
  start_to_first_compute_ms: Math.round(median(samples.map((s) => s.startToFirstCompute))),
  start_to_first_compute_max_ms: Math.round(Math.max(...samples.map((s) => s.startToFirstCompute))),
};
console.log(`widget.js: ${figures.widget_js_bytes} bytes, ${figures.widget_js_gzip_bytes} bytes gzip (budget 5120)`);
console.log(
  `offer clicked → frame ready (database open, coordinator read), frame's clock: ${figures.offer_to_frame_ready_ms} ms (median of ${runs})`,
);
console.log(
  `Start in the frame (the opt-in) → first work unit computing: ${figures.start_to_first_compute_ms} ms median, ${figures.start_to_first_compute_max_ms} ms max (key, device probe and calibration, sign-in, lease)`,
);
if (args.json) console.log(JSON.stringify(figures));
