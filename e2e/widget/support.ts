// Shared setup for the widget's browser tests: the built frame and widget.js, a real coordinator on a free port
// whose every request is logged, and host pages served from another site: the coordinator is http://127.0.0.1:P,
// the host http://localhost:Q (another site, not only another origin, so Chromium partitions the frame's storage).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Coordinator, RequestRecord } from '@bricolage/coordinator';
import { API } from '@bricolage/protocol';
import type { WidgetManifest } from '@bricolage/protocol/widget';
import { test as base, expect, type Frame, type FrameLocator, type Page } from '@playwright/test';
import { build } from 'vite';
import { buildWeb, seedPrimes } from '../web/support';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
export const WIDGET_SCRIPT = join(root, 'packages', 'widget', 'dist', 'widget.js');

export async function buildWidget(): Promise<string> {
  await build({ configFile: join(root, 'packages', 'widget', 'vite.config.ts') });
  return WIDGET_SCRIPT;
}

export interface Logged extends RequestRecord {
  readonly at: number;
}

/** A request a volunteer makes (sign-in, lease, submit, receipts, inputs): none may come before the reader's yes. */
export const isVolunteerRequest = (r: RequestRecord) => /^\/v1\/(auth|volunteer|blobs)\//.test(r.path);

export interface WidgetGrid {
  readonly coordinator: Coordinator;
  readonly url: string;
  readonly project: string;
  readonly token: string;
  readonly job: string;
  /** Every request the coordinator received since the grid was set up (or its origins last set), in order. */
  readonly log: Logged[];
  readonly manifest: WidgetManifest;
  setOrigins(origins: readonly string[]): Promise<void>;
}

export interface HostSite {
  /** `http://localhost:PORT`. */
  readonly origin: string;
  /** Serves `html` at `path` on this site. */
  page(path: string, html: string): string;
}

export interface HostPageOptions {
  readonly integrity?: string | null;
  /** Extra attributes on the script tag, e.g. `data-pause-offscreen`. */
  readonly attributes?: string;
  /** Markup after the script (the article the reader scrolls). */
  readonly after?: string;
  readonly before?: string;
}

/** A host page that embeds the widget as the README says, under a CSP that allows only the coordinator. */
export function hostPage(grid: WidgetGrid, options: HostPageOptions = {}): string {
  const integrity = options.integrity === undefined ? grid.manifest.integrity : options.integrity;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>An article on a host site</title></head>
<body><h1>An article</h1>${options.before ?? ''}
<script src="${grid.url}/widget.js" data-project="${grid.project}" ${options.attributes ?? ''}
  ${integrity ? `integrity="${integrity}"` : ''} crossorigin="anonymous" async></script>
${options.after ?? ''}
</body></html>`;
}

/** A long article: enough to scroll the widget out of view. */
export const LONG_ARTICLE = Array.from({ length: 200 }, (_, i) => `<p>Paragraph ${i + 1} of the article.</p>`).join('');

export interface WidgetFixtures {
  startWidgetGrid(options?: { units?: number }): Promise<WidgetGrid>;
  /** Another site; pages it serves carry a CSP that lets them load only the coordinator's script and frame. */
  startHost(): Promise<HostSite>;
  /** Where most tests start: a grid, and a host site that is the one origin its project lets embed the widget. */
  startEmbedding(options?: { units?: number }): Promise<{ grid: WidgetGrid; host: HostSite }>;
}

export const test = base.extend<WidgetFixtures, { widgetBuilt: string }>({
  widgetBuilt: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
    async ({}, use) => {
      const web = await buildWeb();
      await buildWidget();
      await use(web);
    },
    { scope: 'worker' },
  ],
  startWidgetGrid: async ({ widgetBuilt }, use) => {
    const started: { coordinator: Coordinator; dir: string }[] = [];
    await use(async (options = {}) => {
      const dir = await mkdtemp(join(tmpdir(), 'bricolage-widget-e2e-'));
      const log: Logged[] = [];
      const { startCoordinator } = await import('@bricolage/coordinator');
      const coordinator = await startCoordinator({
        dataDir: dir,
        port: 0,
        webRoot: widgetBuilt,
        widgetScript: WIDGET_SCRIPT,
        onRequest: (r) => log.push({ ...r, at: Date.now() }),
        log: (message) => console.error(`[coordinator] ${message}`),
      });
      started.push({ coordinator, dir });
      // 2^17 integers per unit: a few ms each, so a test sees many units and their receipts quickly.
      const units = options.units ?? 400;
      const seeded = await seedPrimes(coordinator, {
        limit: units * 131072,
        segment: 131072,
        projectName: 'Prime count (widget test)',
      });
      const manifest = (await (await fetch(coordinator.url + API.widgetManifest)).json()) as WidgetManifest;
      const grid: WidgetGrid = {
        coordinator,
        url: coordinator.url,
        project: seeded.project,
        token: seeded.token,
        job: seeded.job,
        log,
        manifest,
        async setOrigins(origins) {
          const res = await fetch(coordinator.url + API.embedding, {
            method: 'PUT',
            headers: { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ origins }),
          });
          if (!res.ok) throw new Error(`setting the embedding origins failed: ${await res.text()}`);
          log.length = 0;
        },
      };
      // The log holds what browsers asked after the test's own setup.
      log.length = 0;
      return grid;
    });
    for (const { coordinator, dir } of started) {
      await coordinator.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright requires the fixture argument to be destructured.
  startHost: async ({}, use) => {
    const servers: Server[] = [];
    await use(async () => {
      const pages = new Map<string, string>();
      const server = createServer((req, res) => {
        const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
        if (!html) {
          res.statusCode = 404;
          res.end('not found');
          return;
        }
        const coordinator = /src="(http:\/\/127\.0\.0\.1:\d+)\//.exec(html)?.[1] ?? "'none'";
        res.setHeader('content-type', 'text/html; charset=utf-8');
        // What a careful host allows: the coordinator's script, its fetches and its frame, nothing inline.
        res.setHeader(
          'content-security-policy',
          `default-src 'none'; script-src ${coordinator}; connect-src ${coordinator}; frame-src ${coordinator} http://127.0.0.1:*; img-src data:`,
        );
        res.end(html);
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
      return {
        origin,
        page(path, html) {
          pages.set(path, html);
          return origin + path;
        },
      };
    });
    for (const server of servers)
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
  },
  // Closes nothing itself: the grid and the host are the fixtures' above, which close them after the test.
  startEmbedding: async ({ startWidgetGrid, startHost }, use) => {
    await use(async (options = {}) => {
      const grid = await startWidgetGrid(options);
      const host = await startHost();
      await grid.setOrigins([host.origin]);
      return { grid, host };
    });
  },
});

export { expect };

/** Records, in the host page, every message it receives and every event the widget element emits. */
export async function watchHost(page: Page): Promise<void> {
  page.on('pageerror', (error) => console.error(`[host page error] ${error.message}`));
  await page.addInitScript(() => {
    const w = window as unknown as { __messages: unknown[]; __events: unknown[] };
    w.__messages = [];
    w.__events = [];
    addEventListener('message', (e) => w.__messages.push({ origin: e.origin, data: e.data }));
    for (const type of ['bricolage:status', 'bricolage:refused'])
      document.addEventListener(
        type,
        (e) => w.__events.push({ type, at: Date.now(), ...(e as CustomEvent).detail }),
        true,
      );
  });
}

export interface HostEvent {
  readonly type: string;
  readonly at: number;
  readonly state?: string;
  readonly pauseReason?: string | null;
  readonly computed?: number;
  readonly credited?: number;
  readonly credit?: number;
  readonly remembered?: boolean;
  readonly command?: string;
  readonly reason?: string;
}

export const hostEvents = (page: Page): Promise<HostEvent[]> =>
  page.evaluate(() => (window as unknown as { __events: HostEvent[] }).__events);

export const hostMessages = (page: Page): Promise<{ origin: string; data: unknown }[]> =>
  page.evaluate(() => (window as unknown as { __messages: { origin: string; data: unknown }[] }).__messages);

/** The widget's frame inside the host page (in the card's shadow root, which Playwright's locators pierce). */
export const widgetFrame = (page: Page): FrameLocator => page.frameLocator('bricolage-widget iframe');

/** The frame as a Frame, once it is there. */
export async function frameOf(page: Page, grid: WidgetGrid): Promise<Frame> {
  for (;;) {
    const frame = page.frames().find((f) => f.url().startsWith(`${grid.url}/widget/frame`));
    if (frame) return frame;
    await page.waitForEvent('frameattached');
  }
}

/**
 * Headless Chromium never hides a page, so the test overrides what each document in it reads and fires the event
 * a real tab switch fires: a hidden tab hides the host page and the frame alike.
 */
export async function setPageHidden(page: Page, hidden: boolean): Promise<void> {
  for (const frame of page.frames())
    await frame.evaluate((hidden) => {
      Object.defineProperty(document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
      Object.defineProperty(document, 'hidden', { value: hidden, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
}

/** The last status the host page heard from the frame. */
export async function lastStatus(page: Page): Promise<HostEvent | undefined> {
  return (await hostEvents(page)).findLast((e) => e.type === 'bricolage:status');
}

/** Opens `url`, offers, and says yes in the frame as a reader would; returns once the frame computes. */
export async function optIn(page: Page, url: string): Promise<FrameLocator> {
  await page.goto(url);
  await page.locator('bricolage-widget').getByRole('button', { name: 'Contribute while I read…' }).click();
  const frame = widgetFrame(page);
  await frame.getByRole('button', { name: 'Start contributing' }).click();
  await expect(frame.getByTestId('widget-state')).toHaveText(/Computing|No work right now/);
  return frame;
}
