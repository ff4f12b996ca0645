// Helpers that run inside the harness page (window.bricolage) from Playwright: bytes cross as base64.
import type { BackendClass, JobSpec } from '@bricolage/protocol';
import { fromBase64, toBase64 } from '@bricolage/protocol';
import type { Page } from '@playwright/test';
import type { ComputeHost, createVolunteer } from '@bricolage/runtime';

/** What the harness page puts on `window` (see harness/main.ts). */
export interface HarnessWindow {
  bricolageReady: boolean;
  bricolage: {
    createVolunteer: typeof createVolunteer;
    ComputeHost: typeof ComputeHost;
    generateSigningKeyPair: typeof import('@bricolage/protocol').generateSigningKeyPair;
    toBase64: typeof toBase64;
    fromBase64: typeof fromBase64;
    sha256Hex: typeof import('@bricolage/protocol').sha256Hex;
  };
  /** State the tests keep between evaluate() calls. */
  state: Record<string, unknown>;
}

export async function openHarness(page: Page, url: string): Promise<void> {
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(`${url}/index.html`);
  await page.waitForFunction(() => (window as unknown as HarnessWindow).bricolageReady === true);
}

export interface PageJob {
  /** Job id the host caches the preparation under: distinct per spec. */
  readonly id: string;
  readonly spec: JobSpec;
  readonly backend: BackendClass;
  readonly assets: readonly Uint8Array[];
}

export type PageOutcome =
  | { ok: true; output: Uint8Array; outputHash: string; backend: BackendClass; elapsedMs: number }
  | { ok: false; code: string; message: string };

/** Prepares `job` on the page's compute host (created on first use) and runs each input in turn. */
/**
 * Prepares a job on the page's compute host (made on first use and kept in `window.state.host`), its assets
 * handed over as bytes: what a test or a benchmark does before running the job's units in the page.
 */
export async function prepareInPage(
  page: Page,
  job: PageJob,
): Promise<{ ok: boolean; code?: string; message?: string }> {
  return page.evaluate(
    async ({ id, spec, backend, assets }) => {
      const w = window as unknown as HarnessWindow;
      const b = w.bricolage;
      w.state ??= {};
      w.state.host ??= new b.ComputeHost({ config: {} });
      const host = w.state.host as ComputeHost;
      const bytes = new Map<string, Uint8Array>();
      for (const a of assets) {
        const data = b.fromBase64(a);
        bytes.set(await b.sha256Hex(data), data);
      }
      return host.prepare(id, spec, backend, async (hashes) => {
        return new Map(hashes.map((h) => [h, bytes.get(h) ?? new Uint8Array()]));
      });
    },
    { id: job.id, spec: job.spec, backend: job.backend, assets: job.assets.map((a) => toBase64(a)) },
  );
}

export async function computeInPage(
  page: Page,
  job: PageJob,
  inputs: readonly Uint8Array[],
  options: { budgetMs?: number; destroyDeviceBefore?: number } = {},
): Promise<{ prepared: { ok: boolean; code?: string; message?: string }; outcomes: PageOutcome[] }> {
  const prepared = await prepareInPage(page, job);
  if (!prepared.ok) return { prepared, outcomes: [] };
  const outcomes = await page.evaluate(
    async ({ id, inputs, budgetMs, destroyBefore }) => {
      const w = window as unknown as HarnessWindow;
      const b = w.bricolage;
      const host = w.state.host as ComputeHost;
      const outcomes: unknown[] = [];
      for (const [index, input] of inputs.entries()) {
        if (index === destroyBefore) await host.api.destroyDevice('during-next-run');
        const o = await host.run(id, b.fromBase64(input), budgetMs);
        outcomes.push(o.ok ? { ...o, output: b.toBase64(o.output) } : o);
      }
      return outcomes;
    },
    {
      id: job.id,
      inputs: inputs.map((i) => toBase64(i)),
      budgetMs: options.budgetMs ?? 60_000,
      destroyBefore: options.destroyDeviceBefore ?? -1,
    },
  );
  return {
    prepared,
    outcomes: (outcomes as (PageOutcome & { output?: string })[]).map((o) =>
      o.ok ? { ...o, output: fromBase64(o.output as unknown as string) } : o,
    ),
  };
}

export interface PageVolunteerOptions {
  readonly throttle?: number;
  readonly prefetch?: boolean;
  readonly pauseWhenHidden?: boolean;
  readonly backends?: { wgsl?: 'webgpu' | 'wasm'; onnx?: 'onnx-wasm' | 'onnx-webgpu' };
  /** Start computing at once (default true). */
  readonly start?: boolean;
}

/** Creates (and starts) a volunteer in the page against the coordinator that served it; events are kept. */
export async function startVolunteer(page: Page, options: PageVolunteerOptions = {}): Promise<string> {
  return page.evaluate(async (o) => {
    const w = window as unknown as HarnessWindow;
    w.state ??= {};
    const events: unknown[] = [];
    const volunteer = await w.bricolage.createVolunteer({
      coordinator: location.origin,
      // Tests add work while volunteers wait: ask again sooner than the coordinator's 10 s.
      maxIdleWaitMs: 300,
      heartbeatCheckMs: 1000,
      ...(o.throttle !== undefined ? { throttle: o.throttle } : {}),
      ...(o.prefetch !== undefined ? { prefetch: o.prefetch } : {}),
      ...(o.pauseWhenHidden !== undefined ? { pauseWhenHidden: o.pauseWhenHidden } : {}),
      ...(o.backends ? { backends: o.backends } : {}),
    });
    volunteer.on('*', (event) => {
      if (event.type === 'leased' || event.type === 'state') return;
      // A computed event carries its output: kept, thousands of them would fill the page and each evaluate.
      if (event.type === 'computed') {
        const { output, ...rest } = event;
        events.push({ ...rest, outputBytes: output.length });
      } else events.push(event);
    });
    w.state.volunteer = volunteer;
    w.state.events = events;
    if (o.start !== false) await volunteer.start();
    return volunteer.id;
  }, options);
}

type Volunteer = Awaited<ReturnType<typeof createVolunteer>>;
export type PageVolunteerStatus = Awaited<ReturnType<Volunteer['status']>>;

export function volunteerStatus(page: Page): Promise<PageVolunteerStatus> {
  return page.evaluate(() => ((window as unknown as HarnessWindow).state.volunteer as Volunteer).status());
}

/** The volunteer's events so far, except `leased` and `state`. */
export function volunteerEvents(page: Page): Promise<{ type: string; [key: string]: unknown }[]> {
  return page.evaluate(() => (window as unknown as HarnessWindow).state.events as { type: string }[]);
}

/**
 * Headless Chromium reports every page as visible; the tests make one hidden the way a browser does,
 * through `document.visibilityState` and a `visibilitychange` event, which is all the runtime watches.
 */
export function setPageHidden(page: Page, hidden: boolean): Promise<void> {
  return page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

export async function closeVolunteer(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const v = (window as unknown as HarnessWindow).state?.volunteer as Volunteer | undefined;
    await v?.close(3000);
  });
}
