import 'fake-indexeddb/auto';
import { VolunteerStore } from '@bricolage/receipts';
import type { Outbox } from '@bricolage/runtime';
import { resultFor } from '@bricolage/runtime/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { made } from './fake-runtime';
import type { Grids } from './grids';
import { B, fresh, listed, page, setAside } from './grids-testing';

vi.mock('@bricolage/runtime', () => import('./fake-runtime'));

// Two tabs of one browser, each with its grids over the same databases: what one tab's volunteer does to another grid's
// outbox (its Retry, its deliveries, its results) the other tab hears of and shows, a leaving grid going once emptied.
describe('another grid in two tabs of one browser', () => {
  let n = 0;
  let home: VolunteerStore;
  let open: Grids[] = [];

  beforeEach(async () => {
    home = await VolunteerStore.open(`tabs-home-${++n}`);
    await home.ensureIdentity();
    await fresh();
  });

  afterEach(async () => {
    await Promise.all(open.map((g) => g.close()));
    open = [];
  });

  /** A tab of the page: its own connection to the home database and to each grid's. */
  async function tab(): Promise<Grids> {
    const { grids } = await page(await VolunteerStore.open(`tabs-home-${n}`));
    open.push(grids);
    return grids;
  }

  /** The outbox the last volunteer made (the other tab's) was given: what its submitter delivers from. */
  const volunteerOutbox = (): Outbox => {
    const outbox = made.options.at(-1)?.outbox;
    if (!outbox) throw new Error('no volunteer was made');
    return outbox;
  };

  it('served, shows here what the other tab retried, delivered and computed', async () => {
    await home.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null }] });
    await setAside(B, 'ls_1');
    const [here, there] = [await tab(), await tab()];
    await vi.waitFor(() => expect(listed(here)).toMatchObject({ undelivered: 0, setAside: 1 }));
    await vi.waitFor(() => expect(listed(there)).toMatchObject({ undelivered: 0, setAside: 1 }));

    await there.retrySetAside(B);
    expect(listed(there)).toMatchObject({ undelivered: 1, setAside: 0 });
    await vi.waitFor(() => expect(listed(here)).toMatchObject({ undelivered: 1, setAside: 0 }));

    await volunteerOutbox().remove(['ls_1']);
    await vi.waitFor(() => expect(listed(here)).toMatchObject({ undelivered: 0, setAside: 0 }));
    // A result the other tab computed, put in by its pipeline.
    await volunteerOutbox().put({ id: 'ls_2', result: resultFor('ls_2'), createdAt: 2 });
    await vi.waitFor(() => expect(listed(here)).toMatchObject({ undelivered: 1, setAside: 0 }));
  });

  it('leaving, is forgotten here once the other tab retried and delivered what it held', async () => {
    await home.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null, leaving: true }] });
    await setAside(B, 'ls_1');
    const [here, there] = [await tab(), await tab()];
    await vi.waitFor(() => expect(listed(here)).toMatchObject({ leaving: true, undelivered: 0, setAside: 1 }));

    await there.retrySetAside(B);
    await vi.waitFor(() => expect(listed(here)).toMatchObject({ leaving: true, undelivered: 1, setAside: 0 }));
    await volunteerOutbox().remove(['ls_1']);
    await vi.waitFor(() => expect(here.view().grids).toEqual([]));
    expect((await home.settings()).grids).toEqual([]);
  });
});
