// One tab of the farm: its browser and profile, its last snapshot of the page, and what its process tree used.
import type { BrowserTab } from './browser-tab';
import type { ProcessUsage } from './procstats';
import type { TabSnapshot } from './snapshot';

export interface Tab {
  readonly index: number;
  readonly profile: string;
  /** The tab's browser, from launch until shutdown closes it. */
  browser: BrowserTab | null;
  /** The page is loaded and Start was pressed: from now on it is polled. */
  ready: boolean;
  /** The page's last snapshot, its coordinator counters counted from this run's start (see `baseline`). */
  snapshot: TabSnapshot | null;
  /**
   * The coordinator's lifetime counters for this tab's volunteer when the run began: a profile kept from an
   * earlier run brings its identity, and its counters, along.
   */
  baseline: Pick<TabSnapshot, 'validated' | 'rejected' | 'errors'> | null;
  crashed: boolean;
  error: string | null;
  usage: ProcessUsage | null;
  /** When the tab next collects its garbage (see `FarmOptions.collectEveryMs`); null before the first is due. */
  nextCollection: number | null;
  /** Garbage collections the tab has completed. */
  collections: number;
}

/**
 * The snapshot with the coordinator's counters counted from this run's start: from what the page read just
 * before it first computed, or, when it could not read them then, from the first time they were read.
 */
export function sinceStart(tab: Tab, snapshot: TabSnapshot | null): TabSnapshot | null {
  if (!snapshot) return null;
  if (!snapshot.counted) return { ...snapshot, validated: 0, rejected: 0, errors: 0 };
  tab.baseline ??= snapshot.countedAtStart ?? {
    validated: snapshot.validated,
    rejected: snapshot.rejected,
    errors: snapshot.errors,
  };
  const b = tab.baseline;
  return {
    ...snapshot,
    validated: snapshot.validated - b.validated,
    rejected: snapshot.rejected - b.rejected,
    errors: snapshot.errors - b.errors,
  };
}
