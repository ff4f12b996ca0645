import 'fake-indexeddb/auto';
import { VolunteerStore } from '@bricolage/receipts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { made } from './fake-runtime';
import type { Grids } from './grids';
import { B, computed, delivered, fresh, listed, page, saidSetAside, setAside } from './grids-testing';

vi.mock('@bricolage/runtime', () => import('./fake-runtime'));

// Results another grid failed on again and again are set aside in its database: shown with the grid, after a reload
// too, and put back into delivery by its Retry, as the home grid's are.
describe("another grid's results set aside", () => {
  let n = 0;
  let home: VolunteerStore;
  let open: Grids[] = [];

  beforeEach(async () => {
    home = await VolunteerStore.open(`set-aside-home-${++n}`);
    await home.ensureIdentity();
    await fresh();
  });

  afterEach(async () => {
    await Promise.all(open.map((g) => g.close()));
    open = [];
  });

  async function opened(store = home): Promise<Grids> {
    const { grids } = await page(store);
    open.push(grids);
    return grids;
  }

  it('are counted at load, before anything is delivered or computed', async () => {
    await home.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null }] });
    await setAside(B, 'ls_1', 'ls_2');
    const grids = await opened();
    await vi.waitFor(() => expect(listed(grids)?.setAside).toBe(2));
    expect(made.starts).toBe(0);
  });

  it('are counted again when one more is set aside while the grid computes', async () => {
    const grids = await opened();
    expect(await grids.add(B)).toBe(true);
    await vi.waitFor(() => expect(listed(grids)?.setAside).toBe(0));
    await grids.start();
    const store = await computed(B, 'ls_1');
    await store.outbox.setAside('ls_1', { code: 'internal', message: 'internal error' }, 2);
    saidSetAside('ls_1');
    await vi.waitFor(() => expect(listed(grids)?.setAside).toBe(1));
  });

  it('go back into delivery at Retry and are delivered at once by a grid that does not compute', async () => {
    await home.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null }] });
    const store = await setAside(B, 'ls_1');
    const grids = await opened();
    await vi.waitFor(() => expect(listed(grids)?.setAside).toBe(1));
    // Nothing to deliver at load: only set aside, they wait for the Retry.
    expect(made.flushes).toBe(0);

    await grids.retrySetAside(B);
    expect(made.retries).toBe(1);
    expect(await store.outbox.setAsideEntries()).toEqual([]);
    expect(listed(grids)).toMatchObject({ setAside: 0, undelivered: 1 });
    expect(made.flushes).toBe(1);
    expect(made.starts).toBe(0);
    await delivered(store, 'ls_1');
  });

  it('at Retry with no key here make none, and say why nothing was sent', async () => {
    const bare = await VolunteerStore.open(`set-aside-bare-${n}`);
    await bare.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null }] });
    const store = await setAside(B, 'ls_1');
    const { grids, model } = await page(bare);
    open.push(grids);
    await vi.waitFor(() => expect(listed(grids)?.setAside).toBe(1));

    await grids.retrySetAside(B);
    expect(await bare.identity()).toBeNull();
    expect(made.options).toEqual([]);
    expect((await store.outbox.setAsideEntries()).length).toBe(1);
    expect(model.view().notices.at(-1)).toMatchObject({ kind: 'error' });
  });

  it('keep a removed grid listed, leaving, until they are retried and delivered', async () => {
    const grids = await opened();
    expect(await grids.add(B)).toBe(true);
    const store = await computed(B, 'ls_9');
    await grids.remove(B);
    await vi.waitFor(() => expect(made.flushes).toBe(1));
    await store.outbox.setAside('ls_9', { code: 'server', message: 'x' }, 1);
    saidSetAside('ls_9');
    await vi.waitFor(() => expect(listed(grids)).toMatchObject({ leaving: true, undelivered: 0, setAside: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listed(grids)?.leaving).toBe(true);
    expect((await home.settings()).grids).toEqual([expect.objectContaining({ url: B, leaving: true })]);

    await grids.retrySetAside(B);
    expect(listed(grids)).toMatchObject({ leaving: true, undelivered: 1, setAside: 0 });
    await delivered(store, 'ls_9');
    await vi.waitFor(() => expect(grids.view().grids).toEqual([]));
    expect((await home.settings()).grids).toEqual([]);
  });

  it('keep a grid removed before a reload listed there, leaving', async () => {
    await home.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null, leaving: true }] });
    await setAside(B, 'ls_1');
    const grids = await opened();
    await vi.waitFor(() => expect(listed(grids)).toMatchObject({ leaving: true, undelivered: 0, setAside: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listed(grids)?.leaving).toBe(true);
    expect(await grids.waiting()).toEqual([B]);
  });
});
