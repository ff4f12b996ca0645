// What the other grids' outboxes hold, read across them: which grids hold results under the tab's key (a key restore
// waits for them), and a grid's Retry of its results set aside. The part of `Grids` (grids.ts) that reads outboxes.
import type { VolunteerStore } from '@bricolage/receipts';
import type { Grid } from './grid';
import type { ViewModel } from './view';

/** The URLs of the grids whose outboxes hold results, leaving ones too. */
export async function holdingResults(grids: readonly Grid[]): Promise<string[]> {
  // Those set aside too: retried under another key, they would be refused as well.
  const counts = await Promise.all(grids.map((g) => g.countOutbox()));
  return grids
    .filter((_, i) => (counts[i]?.undelivered ?? 0) + (counts[i]?.setAside ?? 0) > 0)
    .map((g) => g.setting.url);
}

/**
 * Puts the results `grid` set aside (it failed on them again and again) back into delivery, a leaving grid's too: for
 * a grid fixed since. They go under the key in `home`, which computed them: none is made for them.
 */
export async function retrySetAside(grid: Grid, home: VolunteerStore, model: ViewModel): Promise<void> {
  const failed = (why: string) =>
    model.notify('error', `Could not retry the results set aside for ${grid.setting.url}`, [why]);
  try {
    if ((await home.identity()) === null) return failed('There is no key in this browser to send them with.');
    await grid.retrySetAside();
  } catch (error) {
    failed((error as Error).message);
  }
}
