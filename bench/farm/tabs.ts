// What the farm benchmarks share about a farm's tabs: the options they run it with, when its tabs all compute,
// and a garbage collection forced in every page.
import { join } from 'node:path';
import type { FarmOptions, Tab } from '@bricolage/farm';
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

/** Collects garbage in every page, so that what a reading then sees is what the pages keep. */
export async function collectGarbage(tabs: readonly Tab[]): Promise<void> {
  await Promise.all(tabs.map((t) => t.browser?.send('HeapProfiler.collectGarbage').catch(() => undefined)));
  // The collector frees array buffers and decommits pages after it returns.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
