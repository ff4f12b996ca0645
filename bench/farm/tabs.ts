// What the farm benchmarks share about a farm's tabs: the options they run it with, when its tabs all compute,
// and their V8 heaps (read, or collected).
import { join } from 'node:path';
import { type BrowserTab, DEFAULT_COLLECT_EVERY_MS, type FarmOptions, type Tab } from '@bricolage/farm';
import type { Grid } from './grid';

export const benchFarmOptions = (
  grid: Grid,
  tabs: number,
  chromium: string,
  throttle = 100,
  collectEveryMs = DEFAULT_COLLECT_EVERY_MS,
): FarmOptions => ({
  coordinator: grid.url,
  tabs,
  chromium,
  profiles: join(grid.dir, 'profiles'),
  throttle,
  unreachableTimeoutMs: 60_000,
  pollMs: 1000,
  flushTimeoutMs: 30_000,
  collectEveryMs,
});

/** Every tab that started is computing (tabs that failed to start do not hold the others up). */
export const allComputing = (tabs: readonly Tab[]) =>
  tabs.some((t) => (t.snapshot?.computed ?? 0) > 0) &&
  tabs.every((t) => t.error !== null || t.crashed || (t.snapshot?.computed ?? 0) > 0);

interface HeapUsage {
  readonly usedSize: number;
  readonly totalSize: number;
}

/**
 * MB of V8 heap summed over `tabs`, read without collecting garbage: `pages used` and `workers used` (objects,
 * live or not yet collected), `pages heap` and `workers heap` (what the heaps hold from the system for them).
 */
export async function readHeaps(tabs: readonly Tab[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const add = (key: string, bytes: number | undefined) => out.set(key, (out.get(key) ?? 0) + (bytes ?? 0) / 2 ** 20);
  const usage = (browser: BrowserTab, worker?: string) =>
    (worker === undefined
      ? browser.send<HeapUsage>('Runtime.getHeapUsage')
      : browser.sendToWorker<HeapUsage>(worker, 'Runtime.getHeapUsage')
    ).catch(() => undefined);
  await Promise.all(
    tabs.map(async ({ browser }) => {
      if (!browser) return;
      const [page, ...workers] = await Promise.all([
        usage(browser),
        ...browser.workers().map((w) => usage(browser, w)),
      ]);
      add('pages used', page?.usedSize);
      add('pages heap', page?.totalSize);
      for (const w of workers) {
        add('workers used', w?.usedSize);
        add('workers heap', w?.totalSize);
      }
    }),
  );
  return out;
}

/** Collects garbage in every page and its workers, so that what a reading then sees is what they keep. */
export async function collectGarbage(tabs: readonly Tab[]): Promise<void> {
  await Promise.all(tabs.map((t) => t.browser?.collectGarbage().catch(() => undefined)));
  // The collector frees array buffers and decommits pages after it returns.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
