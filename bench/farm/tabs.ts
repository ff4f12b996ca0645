// What the farm benchmarks share about a farm's tabs: the options they run it with, when its tabs all compute,
// and their V8 heaps (read, or collected).
import { join } from 'node:path';
import type { BrowserTab, FarmOptions, Tab } from '@bricolage/farm';
import type { Grid } from './grid';

export const benchFarmOptions = (grid: Grid, tabs: number, chromium: string, throttle = 100): FarmOptions => ({
  coordinator: grid.url,
  tabs,
  chromium,
  profiles: join(grid.dir, 'profiles'),
  throttle,
  unreachableTimeoutMs: 60_000,
  pollMs: 1000,
  flushTimeoutMs: 30_000,
});

/** Every tab that started is computing (tabs that failed to start do not hold the others up). */
export const allComputing = (tabs: readonly Tab[]) =>
  tabs.some((t) => (t.snapshot?.computed ?? 0) > 0) &&
  tabs.every((t) => t.error !== null || t.crashed || (t.snapshot?.computed ?? 0) > 0);

/**
 * The V8 heaps of each tab's page and of the page's workers (where the runtime computes), read without
 * collecting garbage: what a heap holds between collections, live or not yet collected.
 */
export class Heaps {
  readonly #workers = new Map<BrowserTab, Set<string>>();

  /** Starts following `tabs`' workers: the page's session attaches to each as it starts. */
  static async follow(tabs: readonly Tab[]): Promise<Heaps> {
    const heaps = new Heaps();
    await Promise.all(tabs.map((t) => (t.browser ? heaps.#follow(t.browser) : undefined)));
    return heaps;
  }

  async #follow(browser: BrowserTab): Promise<void> {
    const sessions = new Set<string>();
    this.#workers.set(browser, sessions);
    browser.on('Target.attachedToTarget', (p) => {
      const info = p.targetInfo as { type?: string } | undefined;
      if (info?.type === 'worker') sessions.add(p.sessionId as string);
    });
    browser.on('Target.detachedFromTarget', (p) => sessions.delete(p.sessionId as string));
    await browser
      .send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true })
      .catch(() => undefined);
  }

  #sessions(tab: Tab): [BrowserTab, string[]] | null {
    const browser = tab.browser;
    return browser ? [browser, [...(this.#workers.get(browser) ?? [])]] : null;
  }

  /** Bytes in use in every page's heap and in every worker's heap, summed over `tabs`. */
  async used(tabs: readonly Tab[]): Promise<{ pages: number; workers: number }> {
    const usedOf = (r: { usedSize?: number } | undefined) => r?.usedSize ?? 0;
    const per = await Promise.all(
      tabs.map(async (t) => {
        const found = this.#sessions(t);
        if (!found) return [0, 0];
        const [browser, workers] = found;
        const page = await browser.send<{ usedSize: number }>('Runtime.getHeapUsage').catch(() => undefined);
        const inWorkers = await Promise.all(
          workers.map((s) =>
            browser.sendToSession<{ usedSize: number }>(s, 'Runtime.getHeapUsage').catch(() => undefined),
          ),
        );
        return [usedOf(page), inWorkers.reduce((n, r) => n + usedOf(r), 0)];
      }),
    );
    return { pages: per.reduce((n, [p]) => n + (p ?? 0), 0), workers: per.reduce((n, [, w]) => n + (w ?? 0), 0) };
  }

  /** Collects garbage in every page and every worker, so that what a reading then sees is what they keep. */
  async collect(tabs: readonly Tab[]): Promise<void> {
    await Promise.all(
      tabs.map((t) => {
        const found = this.#sessions(t);
        if (!found) return undefined;
        const [browser, workers] = found;
        return Promise.all([
          browser.send('HeapProfiler.collectGarbage').catch(() => undefined),
          ...workers.map((s) => browser.sendToSession(s, 'HeapProfiler.collectGarbage').catch(() => undefined)),
        ]);
      }),
    );
    // The collector frees array buffers and decommits pages after it returns.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
