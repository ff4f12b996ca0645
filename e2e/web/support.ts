// Shared setup for the volunteer page's browser tests: builds the page (and the receipts-store test page),
// starts real coordinators on fixed ports, and seeds them with the primes workload.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Coordinator } from '@bricolage/coordinator';
import { API, type JobId, toBase64, type WorkUnitCounts } from '@bricolage/protocol';
import type { MandelbrotParams, Workload } from '@bricolage/workloads';
import { test as base, type BrowserContext, chromium, type Page } from '@playwright/test';
import { build } from 'vite';
import { serveStatic } from '../support/static-server';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
export const WEB_DIST = join(root, 'apps', 'web', 'dist');
export const STORE_HARNESS_DIST = join(here, 'store-harness', 'dist');
export { CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM } from '../support/chromium';
import { CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM } from '../support/chromium';
import { fakeBatteryScript, setCharging } from '../support/battery';

/** Builds apps/web as `npm run build` does; BRICOLAGE_SKIP_WEB_BUILD=1 reuses an existing dist. */
export async function buildWeb(): Promise<string> {
  if (process.env.BRICOLAGE_SKIP_WEB_BUILD === '1' && existsSync(join(WEB_DIST, 'index.html'))) return WEB_DIST;
  await build({ configFile: join(root, 'apps', 'web', 'vite.config.ts') });
  return WEB_DIST;
}

export async function buildStoreHarness(): Promise<string> {
  await build({ configFile: join(here, 'store-harness', 'vite.config.ts') });
  return STORE_HARNESS_DIST;
}

export interface PrimesJob {
  readonly limit: number;
  /** Integers per work unit. */
  readonly segment: number;
  /** 1 lets a single test volunteer validate on its own (the demo asks for 2). */
  readonly minQuorum?: number;
  readonly leaseSeconds?: number;
  readonly projectName?: string;
  /** The last work units, not uploaded with the job: `release(n)` uploads the next n of them when the test says. */
  readonly heldBack?: number;
}

/** A seeded job; `release(n)` uploads the next n of the work units held back (none unless the job held some). */
export interface SeededJob {
  readonly project: string;
  readonly token: string;
  readonly job: string;
  /** Every work unit of the job, those held back included. */
  readonly workUnits: number;
  release(count: number): Promise<void>;
}

export interface GridOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Other grids' keys whose exports it credits, and to which it moves credit (HONOURED_LOGS). */
  readonly honouredLogs?: readonly string[];
}

/** Starts a coordinator serving the built page (imported lazily: only the grid tests need it). Closing twice is harmless. */
async function start(options: GridOptions & { webRoot: string }): Promise<Coordinator> {
  const { startCoordinator } = await import('@bricolage/coordinator');
  const { honouredLogs = [], ...rest } = options;
  const coordinator = await startCoordinator({
    ...rest,
    log: (message) => console.error(`[coordinator] ${message}`),
    // Outside a network namespace of their own, pages must not try WebRTC on the machine's real network
    // (Chromium would look for peers with mDNS on the LAN): the peer tests are e2e/peers/.
    config: { peers: false, honouredLogs },
  });
  let closing: Promise<void> | null = null;
  return { ...coordinator, close: () => (closing ??= coordinator.close()) };
}

/** Creates a project with one primes job, through the public HTTP API like a researcher would. */
export async function seedPrimes(coordinator: Coordinator, job: PrimesJob): Promise<SeededJob> {
  const { primes } = await import('@bricolage/workloads');
  return seedJob(
    coordinator,
    primes,
    { limit: job.limit, segment: job.segment },
    {
      projectName: job.projectName ?? 'Prime count (test)',
      description: 'Counts the primes below a limit with a segmented sieve, one segment per work unit.',
      ...job,
    },
  );
}

/** Creates a project with one mandelbrot job of `frame`, one 64×64 tile per work unit. */
export async function seedMandelbrot(coordinator: Coordinator, frame: MandelbrotParams): Promise<SeededJob> {
  const { mandelbrot } = await import('@bricolage/workloads');
  return seedJob(coordinator, mandelbrot, frame, {
    projectName: 'Mandelbrot (test)',
    description: 'Renders a frame of the Mandelbrot set, one tile per work unit.',
  });
}

/** Creates a project with one ONNX job (`cnn` or `physics`) of `workUnits` batches. */
export async function seedOnnx(
  coordinator: Coordinator,
  model: 'cnn' | 'physics',
  workUnits: number,
): Promise<{ project: string; job: string; workUnits: number }> {
  const workloads = await import('@bricolage/workloads');
  return seedJob(
    coordinator,
    workloads[model],
    { workUnits },
    { projectName: `${model} (test)`, description: `Runs the ${model} ONNX model on batches of inputs.` },
  );
}

async function seedJob<P>(
  coordinator: Coordinator,
  workload: Workload<P>,
  params: P,
  options: { projectName: string; description: string; minQuorum?: number; leaseSeconds?: number; heldBack?: number },
): Promise<SeededJob> {
  const { project, token } = await coordinator.createProject(
    options.projectName,
    options.description,
    'The Bricolage tests',
  );
  const { buildJob } = await import('@bricolage/workloads/node');
  const bundle = await buildJob(workload, params);
  const auth = { authorization: `Bearer ${token}` };
  const { sha256Hex } = await import('@bricolage/protocol');
  for (const blob of bundle.blobs) {
    const res = await fetch(coordinator.url + API.blob(await sha256Hex(blob)), {
      method: 'PUT',
      headers: auth,
      body: blob as Uint8Array<ArrayBuffer>,
    });
    if (!res.ok) throw new Error(`blob upload failed: ${await res.text()}`);
  }
  const request = {
    ...bundle.request,
    redundancy: { minQuorum: options.minQuorum ?? 1, maxTotalResults: 4, maxErrorResults: 2, homogeneous: false },
    ...(options.leaseSeconds ? { leaseSeconds: options.leaseSeconds } : {}),
  };
  const created = await fetch(coordinator.url + API.jobs, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!created.ok) throw new Error(`job creation failed: ${await created.text()}`);
  const id = ((await created.json()) as { id: string }).id;
  const lines = [...workload.workUnits(params)].map(
    (wu) => `${JSON.stringify({ input: toBase64(wu.input), tag: wu.tag })}\n`,
  );
  const upload = async (batch: string[]) => {
    if (batch.length === 0) return;
    const added = await fetch(coordinator.url + API.workUnits(id), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body: batch.join(''),
    });
    if (!added.ok) throw new Error(`work unit upload failed: ${await added.text()}`);
  };
  let next = lines.length - Math.min(lines.length, options.heldBack ?? 0);
  await upload(lines.slice(0, next));
  const release = async (count: number) => {
    const batch = lines.slice(next, next + count);
    if (batch.length < count) throw new Error(`only ${batch.length} work units are still held back`);
    next += count;
    await upload(batch);
  };
  return { project, token, job: id, workUnits: lines.length, release };
}

/** Job progress as the researcher sees it. */
export async function jobCounts(coordinator: Coordinator, job: string): Promise<WorkUnitCounts> {
  return (await coordinator.store.progress(job as JobId)).counts;
}

/** Opens the page and waits until it has booted (store open, coordinator read). */
export async function openPage(page: Page, url: string): Promise<void> {
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(url);
  await page.getByRole('button', { name: /^Start/ }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="phase"]')?.textContent !== 'Loading');
}

function launch(dir: string, options: LaunchOptions = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    // Playwright turns Chromium's back-forward cache off; browsers keep it on.
    ...(options.backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
}

/** Clicks `button` and returns the text of the file the page offers for download. */
export async function downloadText(page: Page, button: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: button }).click(),
  ]);
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}

/** Hands the page a file through a file input, as picking it in the dialog would. */
export async function chooseFile(page: Page, label: string | RegExp, name: string, text: string): Promise<void> {
  await page.getByLabel(label).setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
}

/** "Clear site data" for the page's origin, as a person does in the browser's settings. */
export async function clearSiteData(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(page.url()).origin, storageTypes: 'all' });
  await cdp.detach();
}

/**
 * Headless Chromium never hides a page (tab switches and minimising leave it visible), so the test
 * overrides what the page reads and fires the event a real tab switch fires.
 */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hidden) => {
    Object.defineProperty(document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
    Object.defineProperty(document, 'hidden', { value: hidden, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** Replaces the Battery Status API with one the test controls through `window.__battery` (../support/battery.ts). */
export async function fakeBattery(page: Page): Promise<void> {
  await page.addInitScript(fakeBatteryScript);
}

export { setCharging };

/** The number in the page's "N receipts" line. */
export async function receiptCount(page: Page): Promise<number> {
  return Number.parseInt((await page.getByTestId('receipt-count').textContent()) ?? '', 10);
}

/**
 * What the page's IndexedDB database `db` holds in `store`: the value at `key`, or every value when no key is
 * given (undefined for a key not written yet).
 */
export function storedInPage(page: Page, db: string, store: string, key?: string): Promise<unknown> {
  return page.evaluate(
    ({ db, store, key }) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open(db);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const values = open.result.transaction(store).objectStore(store);
          const read = key === undefined ? values.getAll() : values.get(key);
          read.onsuccess = () => {
            open.result.close();
            resolve(read.result);
          };
          read.onerror = () => reject(read.error);
        };
      }),
    { db, store, key },
  );
}

/**
 * A setting as the page's IndexedDB holds it (undefined while unsaved): the UI shows a change at once, and the
 * write lands a moment later, so a test reloading right after a change waits for this first.
 */
export const storedSetting = (page: Page, key: string): Promise<unknown> =>
  storedInPage(page, 'bricolage', 'settings', key);

export interface TestFixtures {
  /** A fresh directory, removed after the test. */
  scratch(prefix: string): Promise<string>;
  /** A coordinator on a fixed port serving the built page; every one started is closed after the test. */
  startGrid(options: GridOptions): Promise<Coordinator>;
  /**
   * A browser with a profile directory that outlives it: closing it and calling this again with the same
   * directory is a browser restart. Every one launched is closed after the test.
   */
  launchProfile(dir: string, options?: LaunchOptions): Promise<BrowserContext>;
}

export interface LaunchOptions {
  /** Pages that go are kept frozen for the Back button, as browsers do (Playwright's default is off). */
  readonly backForwardCache?: boolean;
}

export const test = base.extend<TestFixtures, { webDist: string; storeHarnessUrl: string }>({
  webDist: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
    async ({}, use) => {
      await use(await buildWeb());
    },
    { scope: 'worker' },
  ],
  storeHarnessUrl: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
    async ({}, use) => {
      const server = await serveStatic(await buildStoreHarness());
      await use(server.url);
      await server.close();
    },
    { scope: 'worker' },
  ],
  // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
  scratch: async ({}, use) => {
    const made: string[] = [];
    await use(async (prefix) => {
      const path = await mkdtemp(join(tmpdir(), `bricolage-${prefix}-`));
      made.push(path);
      return path;
    });
    await Promise.all(made.map((path) => rm(path, { recursive: true, force: true })));
  },
  startGrid: async ({ webDist }, use) => {
    const started: Coordinator[] = [];
    await use(async (options) => {
      const grid = await start({ ...options, webRoot: webDist });
      started.push(grid);
      return grid;
    });
    for (const grid of started) await grid.close();
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
  launchProfile: async ({}, use) => {
    const launched: BrowserContext[] = [];
    await use(async (dir, options) => {
      const context = await launch(dir, options);
      launched.push(context);
      return context;
    });
    for (const context of launched) await context.close();
  },
});

export { expect } from '@playwright/test';
