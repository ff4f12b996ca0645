// `npm run bench:peers [-- --sizes 3,5,8] [--warm-runs 3] [--no-build] [--json]`: the peer layer in real Chromium
// pages (one browser context each) against an in-process coordinator, inside the network namespace that the npm
// script enters (scripts/in-netns.mjs: WebRTC needs an interface besides loopback, and nothing may leave).
// For each swarm size: mesh formation, from pressing Start on every page to every page seeing all the others
// over a WebRTC connection each (cold: first Start, which also probes and calibrates the device; warm: Start again);
// a 5 MB job asset's fetch time from the coordinator (the first volunteer) and from peers (the others); and the
// coordinator's egress for that asset against what it would have sent without peers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type RequestRecord, startCoordinator } from '@bricolage/coordinator';
import { API } from '@bricolage/protocol';
import { type BrowserContext, chromium, type Page } from '@playwright/test';
import { build } from 'vite';
import { outsideNamespace, seedTableJob, TABLE_BYTES } from '../../e2e/peers/support';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/support/chromium';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '3,5,8' },
    'warm-runs': { type: 'string', default: '3' },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const outside = outsideNamespace();
if (outside) {
  console.error(`${outside} (npm run bench:peers enters one)`);
  process.exit(2);
}
const sizes = args.sizes.split(',').map(Number);
const warmRuns = Math.max(1, Number(args['warm-runs']));
const root = resolve(import.meta.dirname, '../..');
const web = join(root, 'apps/web/dist');
if (!args['no-build']) await build({ configFile: join(root, 'apps/web/vite.config.ts'), logLevel: 'error' });

// Each page logs, on its own clock (epoch ms, the same machine's), when its swarm view changed. A string, not a
// function: tsx would wrap a function's helpers in a `__name` the page lacks.
const SWARM_LOG = `(() => {
  const log = [];
  window.__swarmLog = log;
  const look = () => {
    const el = document.querySelector('[data-testid="swarm-online"]');
    const peers = el ? Number(el.getAttribute('data-peers')) : 0;
    const conns = el ? Number(el.getAttribute('data-connections')) : 0;
    const last = log[log.length - 1];
    if (!last || last.peers !== peers || last.conns !== conns) log.push({ t: Date.now(), peers, conns });
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-peers', 'data-connections'] });
})()`;

interface SizeResult {
  readonly pages: number;
  readonly meshColdMs: number;
  readonly meshWarmMs: readonly number[];
  readonly fetchFromCoordinatorMs: number;
  readonly fetchFromPeersMs: readonly number[];
  readonly assetRequests: number;
  readonly egressBytes: number;
  readonly egressWithoutPeersBytes: number;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function booted(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: /^Start/ }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="phase"]')?.textContent !== 'Loading');
}

/** Presses Start on every page at once; ms until every page sees all the others over a WebRTC connection each. */
async function formMesh(pages: readonly Page[]): Promise<number> {
  for (const page of pages) await page.evaluate('window.__swarmLog.length = 0');
  const pressed = Date.now();
  await Promise.all(pages.map((p) => p.getByRole('button', { name: /^Start/ }).click()));
  const n = pages.length;
  const full = async (page: Page): Promise<number> => {
    await page
      .locator(`[data-testid="swarm-online"][data-peers="${n}"][data-connections="${n - 1}"]`)
      .waitFor({ timeout: 120_000 });
    const log = (await page.evaluate('window.__swarmLog')) as { t: number; peers: number; conns: number }[];
    const at = log.find((e) => e.peers === n && e.conns === n - 1);
    if (!at) throw new Error('the page saw the full mesh but did not log it');
    return at.t;
  };
  const times = await Promise.all(pages.map(full));
  return Math.max(...times) - pressed;
}

async function stopAll(pages: readonly Page[]): Promise<void> {
  await Promise.all(pages.map((p) => p.getByRole('button', { name: 'Stop' }).click()));
  for (const page of pages) await page.getByTestId('swarm').waitFor({ state: 'detached', timeout: 60_000 });
}

async function tableFetch(page: Page, hash: string): Promise<{ from: string; ms: number }> {
  const item = page.locator(`[data-testid="asset-fetch"]`, { hasText: hash.slice(0, 12) }).first();
  await item.waitFor({ timeout: 120_000 });
  return {
    from: (await item.getAttribute('data-from')) as string,
    ms: Number(await item.getAttribute('data-ms')),
  };
}

async function measure(size: number, browser: import('@playwright/test').Browser): Promise<SizeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bricolage-bench-peers-'));
  const requests: RequestRecord[] = [];
  const coordinator = await startCoordinator({ dataDir, webRoot: web, onRequest: (r) => requests.push(r) });
  const contexts: BrowserContext[] = [];
  try {
    const empty = await coordinator.createProject('mesh only');
    const seeded = await seedTableJob(coordinator.url, coordinator.operator.token, { units: 40 * size });
    const pages: Page[] = [];
    for (let i = 0; i < size; i++) {
      const context = await browser.newContext();
      contexts.push(context);
      await context.addInitScript(SWARM_LOG);
      const page = await context.newPage();
      await booted(page, `${coordinator.url}/?project=${empty.project}`);
      // A tenth of the device each: the pages leave the two cores to the browser's own work.
      await page.getByLabel(/Use of this device/).fill('10');
      pages.push(page);
    }
    const meshColdMs = await formMesh(pages);
    await stopAll(pages);
    const meshWarmMs: number[] = [];
    for (let run = 0; run < warmRuns; run++) {
      meshWarmMs.push(await formMesh(pages));
      await stopAll(pages);
    }

    // The asset: the first volunteer takes it from the coordinator, the others from the peers that hold it.
    for (const page of pages) await booted(page, `${coordinator.url}/?project=${seeded.project}`);
    const [first, ...rest] = pages as [Page, ...Page[]];
    await first.getByRole('button', { name: /^Start/ }).click();
    const fromCoordinator = await tableFetch(first, seeded.tableHash);
    await Promise.all(rest.map((p) => p.getByRole('button', { name: /^Start/ }).click()));
    const fromPeers = await Promise.all(rest.map((p) => tableFetch(p, seeded.tableHash)));
    const assetRequests = requests.filter((r) => r.method === 'GET' && r.path === API.blob(seeded.tableHash)).length;
    const manifestRequests = requests.filter(
      (r) => r.method === 'GET' && r.path === API.blobManifest(seeded.tableHash),
    ).length;
    const manifestBytes = (await (await fetch(coordinator.url + API.blobManifest(seeded.tableHash))).text()).length;
    return {
      pages: size,
      meshColdMs,
      meshWarmMs,
      fetchFromCoordinatorMs: fromCoordinator.ms,
      fetchFromPeersMs: fromPeers.filter((f) => f.from === 'peers').map((f) => f.ms),
      assetRequests,
      egressBytes: assetRequests * TABLE_BYTES + manifestRequests * manifestBytes,
      egressWithoutPeersBytes: size * TABLE_BYTES,
    };
  } finally {
    for (const context of contexts) await context.close();
    await coordinator.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const results: SizeResult[] = [];
try {
  for (const size of sizes) {
    const r = await measure(size, browser);
    results.push(r);
    if (!args.json) {
      const saved = 1 - r.egressBytes / r.egressWithoutPeersBytes;
      console.log(`${r.pages} pages`);
      console.log(
        `  mesh formed:            ${r.meshColdMs} ms cold (first Start, device probed), warm median ${median(r.meshWarmMs)} ms (${r.meshWarmMs.join(', ')})`,
      );
      console.log(
        `  5 MB asset:             ${r.fetchFromCoordinatorMs} ms from the coordinator; from peers median ${median(r.fetchFromPeersMs)} ms (${r.fetchFromPeersMs.join(', ')}; ${r.fetchFromPeersMs.length} of ${r.pages - 1} from peers)`,
      );
      console.log(
        `  coordinator egress:     ${(r.egressBytes / 1e6).toFixed(2)} MB for it (${r.assetRequests} request(s) + manifests), ${(r.egressWithoutPeersBytes / 1e6).toFixed(2)} MB without peers: ${(saved * 100).toFixed(1)}% saved`,
      );
    }
  }
} finally {
  await browser.close();
}
if (args.json) console.log(JSON.stringify({ bench: 'peers', results }));
