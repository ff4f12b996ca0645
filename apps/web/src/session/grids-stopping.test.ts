// A grid removed while it computes stops as at a Stop: its volunteer finishes the unit in its worker first, which may
// take seconds. In that window an Add of the same grid waits for the Stop to end before it starts (else its volunteer
// computed while it read stopped, out of reach of every later Stop), and the grid, leaving, is not judged empty and
// forgotten before the unit's result has come (else that result was lost with the closed grid).
import 'fake-indexeddb/auto';
import { VolunteerStore } from '@bricolage/receipts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { made } from './fake-runtime';
import type { Grids } from './grids';
import { B, computed, delivered, fresh, listed, page } from './grids-testing';

vi.mock('@bricolage/runtime', () => import('./fake-runtime'));

describe('a grid removed while its volunteer stops', () => {
  let n = 0;
  let home: VolunteerStore;
  let open: Grids[] = [];
  let finish: () => void = () => undefined;

  beforeEach(async () => {
    home = await VolunteerStore.open(`stopping-home-${++n}`);
    await home.ensureIdentity();
    await fresh();
    // The unit in the worker finishes when the test says.
    made.stopping = new Promise<void>((resolve) => {
      finish = resolve;
    });
  });

  afterEach(async () => {
    finish();
    await Promise.all(open.map((g) => g.close()));
    open = [];
  });

  async function computing(): Promise<Grids> {
    const { grids } = await page(home);
    open.push(grids);
    expect(await grids.add(B)).toBe(true);
    await grids.start();
    expect(made.starts).toBe(1);
    return grids;
  }

  it('added again meanwhile, starts once the stop has ended, not during it', async () => {
    const grids = await computing();
    const removing = grids.remove(B);
    await vi.waitFor(() => expect(made.stops).toBe(1));
    const adding = grids.add(B);
    await vi.waitFor(() => expect(listed(grids)?.leaving).toBe(false));
    // The stop is still under way: no start reaches the volunteer yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(made.starts).toBe(1);
    finish();
    await Promise.all([removing, adding]);
    await vi.waitFor(() => expect(made.starts).toBe(2));
    expect(listed(grids)).toMatchObject({ leaving: false });
  });

  it('leaving, is not forgotten before its stop has ended: the result of the unit in its worker still comes', async () => {
    const grids = await computing();
    const removing = grids.remove(B);
    await vi.waitFor(() => expect(made.stops).toBe(1));
    // Another unit's result delivered meanwhile: its outbox reads empty, but the stop has not ended.
    const store = await computed(B, 'ls_1');
    await delivered(store, 'ls_1');
    await new Promise((r) => setTimeout(r, 50));
    expect(listed(grids)).toMatchObject({ leaving: true });
    // The unit in the worker ends, its result kept; then the stop ends: the grid stays, delivering it.
    await computed(B, 'ls_2');
    finish();
    await removing;
    await vi.waitFor(() => expect(listed(grids)).toMatchObject({ leaving: true, undelivered: 1 }));
  });
});
