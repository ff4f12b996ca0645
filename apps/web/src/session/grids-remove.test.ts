import 'fake-indexeddb/auto';
import { VolunteerStore } from '@bricolage/receipts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { made } from './fake-runtime';
import type { Grids } from './grids';
import { B, computed, delivered, fresh, listed, page } from './grids-testing';
import type { ViewModel } from './view';

vi.mock('@bricolage/runtime', () => import('./fake-runtime'));

// Removing a grid whose outbox still holds results: it computes no more at once, and stays, leaving, until it has
// delivered them (across reloads too); or the volunteer forgets it at once, giving them up; or adds it again.
describe('a grid removed', () => {
  let n = 0;
  let home: VolunteerStore;
  let open: Grids[] = [];

  beforeEach(async () => {
    home = await VolunteerStore.open(`remove-home-${++n}`);
    await home.ensureIdentity();
    await fresh();
  });

  afterEach(async () => {
    await Promise.all(open.map((g) => g.close()));
    open = [];
  });

  async function opened(): Promise<{ grids: Grids; model: ViewModel; homeDuties: number[] }> {
    const p = await page(home);
    open.push(p.grids);
    return p;
  }

  it('names a grid whose results are set aside among those a key backup is not restored over', async () => {
    const { grids } = await opened();
    expect(await grids.add(B)).toBe(true);
    const store = await computed(B, 'ls_1');
    await store.outbox.setAside('ls_1', { code: 'internal', message: 'internal error' }, 2);
    expect(await store.outbox.size()).toBe(0);
    expect(await grids.waiting()).toEqual([B]);
  });

  it('with no results waiting is forgotten at once', async () => {
    const { grids, model } = await opened();
    expect(await grids.add(B)).toBe(true);
    await grids.remove(B);
    expect(grids.view().grids).toEqual([]);
    expect(model.view().settings.grids).toEqual([]);
    expect((await home.settings()).grids).toEqual([]);
  });

  it('with results waiting stops computing, stays as leaving while it delivers them, and is forgotten once none is left', async () => {
    const { grids, model, homeDuties } = await opened();
    expect(await grids.add(B)).toBe(true);
    await grids.start();
    expect(made.starts).toBe(1);
    await vi.waitFor(() => expect(listed(grids)?.undelivered).toBe(0));
    const store = await computed(B, 'ls_1', 'ls_2');
    const removing = grids.remove(B);
    // Not the count taken at its opening, before it computed: not counted until it is counted again.
    expect(listed(grids)).toMatchObject({ leaving: true, undelivered: null });
    await removing;
    expect(listed(grids)).toMatchObject({ leaving: true, undelivered: 2 });
    expect((await home.settings()).grids).toEqual([expect.objectContaining({ url: B, leaving: true })]);
    // It delivers them (nothing computes): a flush, not a start; the home grid has the whole throttle again.
    await vi.waitFor(() => expect(made.flushes).toBeGreaterThan(0));
    expect(homeDuties.at(-1)).toBe(1);
    // Still named while its results wait: a key backup is not restored over them.
    expect(await grids.waiting()).toEqual([B]);
    // A Start computes nothing for it.
    await grids.stop();
    await grids.start();
    expect(made.starts).toBe(1);

    await delivered(store, 'ls_1');
    await vi.waitFor(() => expect(listed(grids)?.undelivered).toBe(1));
    expect(listed(grids)?.leaving).toBe(true);
    await delivered(store, 'ls_2');
    await vi.waitFor(() => expect(grids.view().grids).toEqual([]));
    expect(model.view().settings.grids).toEqual([]);
    expect((await home.settings()).grids).toEqual([]);
    expect(await grids.waiting()).toEqual([]);
  });

  it('is forgotten once what it held was refused by the grid, as once it was delivered', async () => {
    const { grids } = await opened();
    expect(await grids.add(B)).toBe(true);
    const store = await computed(B, 'ls_8');
    await grids.remove(B);
    await vi.waitFor(() => expect(made.flushes).toBe(1));
    await store.outbox.remove(['ls_8']);
    for (const listener of made.listeners.get('dropped') ?? []) listener({ type: 'dropped', lease: 'ls_8' });
    await vi.waitFor(() => expect(grids.view().grids).toEqual([]));
    expect((await home.settings()).grids).toEqual([]);
  });

  it('at a load with no key here makes none and sends nothing: it is counted and shown, still leaving', async () => {
    const bare = await VolunteerStore.open(`remove-bare-${n}`);
    await bare.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null, leaving: true }] });
    await computed(B, 'ls_1');
    const { grids } = await page(bare);
    open.push(grids);
    await vi.waitFor(() => expect(listed(grids)).toMatchObject({ leaving: true, undelivered: 1 }));
    expect(made.flushes).toBe(0);
    expect(await bare.identity()).toBeNull();
  });

  it('goes on delivering after a reload, and is forgotten there once none is left', async () => {
    const first = await opened();
    expect(await first.grids.add(B)).toBe(true);
    const store = await computed(B, 'ls_1', 'ls_2');
    await first.grids.remove(B);
    await vi.waitFor(() => expect(made.flushes).toBe(1));
    await first.grids.close();
    made.flushes = 0;

    const { grids } = await opened();
    expect(listed(grids)?.leaving).toBe(true);
    await vi.waitFor(() => expect(listed(grids)?.undelivered).toBe(2));
    await vi.waitFor(() => expect(made.flushes).toBe(1));
    expect(await grids.waiting()).toEqual([B]);
    await grids.start();
    expect(made.starts).toBe(0);
    await delivered(store, 'ls_1', 'ls_2');
    await vi.waitFor(() => expect(grids.view().grids).toEqual([]));
    expect((await home.settings()).grids).toEqual([]);
  });

  it('is forgotten at the next load when what it held went meanwhile', async () => {
    const first = await opened();
    expect(await first.grids.add(B)).toBe(true);
    const store = await computed(B, 'ls_1');
    await first.grids.remove(B);
    await vi.waitFor(() => expect(made.flushes).toBe(1));
    await first.grids.close();
    await store.outbox.remove(['ls_1']);

    const { grids } = await opened();
    await vi.waitFor(() => expect(grids.view().grids).toEqual([]));
    expect((await home.settings()).grids).toEqual([]);
  });

  it('can be forgotten at once, its results left undelivered in its database', async () => {
    const { grids, model } = await opened();
    expect(await grids.add(B)).toBe(true);
    const store = await computed(B, 'ls_1', 'ls_2');
    await grids.remove(B);
    expect(listed(grids)?.leaving).toBe(true);
    await vi.waitFor(() => expect(made.flushes).toBe(1));
    await grids.forget(B);
    expect(grids.view().grids).toEqual([]);
    expect(model.view().settings.grids).toEqual([]);
    expect((await home.settings()).grids).toEqual([]);
    expect(await grids.waiting()).toEqual([]);
    expect(await store.outbox.size()).toBe(2);
  });

  it('is served again when added again, as it was', async () => {
    const { grids, model } = await opened();
    expect(await grids.add(B)).toBe(true);
    await grids.setShare(B, 300);
    await grids.start();
    const store = await computed(B, 'ls_1');
    await grids.remove(B);
    // Under another name with the same key: the volunteer is told which address to add.
    expect(await grids.add('https://b2.example')).toBe(false);
    expect(grids.view().error).toBe(`That grid is being removed, as ${B}: add ${B} to keep it.`);

    expect(await grids.add(B)).toBe(true);
    expect(grids.view().error).toBeNull();
    expect(listed(grids)).toMatchObject({ leaving: false, share: 300 });
    expect(model.view().settings.grids).toEqual([{ url: B, key: 'b-key', share: 300, servedProjects: null }]);
    expect((await home.settings()).grids).toEqual([{ url: B, key: 'b-key', share: 300, servedProjects: null }]);
    // Computing for it again (it was started before), and not forgotten once its outbox is empty.
    expect(made.starts).toBe(2);
    await delivered(store, 'ls_1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listed(grids)?.leaving).toBe(false);
  });

  it('as kept by an earlier version (no leaving flag) is served', async () => {
    await home.saveSettings({ grids: [{ url: B, key: 'b-key', share: 100, servedProjects: null }] });
    const { grids } = await opened();
    expect(listed(grids)?.leaving).toBe(false);
    await grids.start();
    expect(made.starts).toBe(1);
  });
});

/** Holds what follows the next save of `store`'s settings (once written) until `release` is called. */
function holdNextSave(store: VolunteerStore): () => void {
  const save = store.saveSettings.bind(store);
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let first = true;
  store.saveSettings = async (patch) => {
    await save(patch);
    if (!first) return;
    first = false;
    await held;
  };
  return release;
}

// Remove and Add of one grid in quick succession, each awaiting its save of the settings: the last one holds.
describe('a grid removed and added again at once', () => {
  let n = 0;
  let home: VolunteerStore;
  let grids: Grids;

  beforeEach(async () => {
    home = await VolunteerStore.open(`race-home-${++n}`);
    await home.ensureIdentity();
    await fresh();
    ({ grids } = await page(home));
    expect(await grids.add(B)).toBe(true);
    await grids.start();
    await computed(B, 'ls_1');
  });

  afterEach(() => grids.close());

  it('added again while its removal is saved, is served and computing', async () => {
    const release = holdNextSave(home);
    const removing = grids.remove(B);
    expect(await grids.add(B)).toBe(true);
    release();
    await removing;
    expect(listed(grids)?.leaving).toBe(false);
    expect(made.stops).toBe(0);
    expect(made.starts).toBe(2);
    expect((await home.settings()).grids).toEqual([{ url: B, key: 'b-key', share: 100, servedProjects: null }]);
  });

  it('removed again while its adding is saved, stays removed and computes nothing', async () => {
    await grids.remove(B);
    expect(made.starts).toBe(1);
    const release = holdNextSave(home);
    const adding = grids.add(B);
    await grids.remove(B);
    release();
    await adding;
    expect(listed(grids)?.leaving).toBe(true);
    expect(made.starts).toBe(1);
    expect((await home.settings()).grids).toEqual([expect.objectContaining({ url: B, leaving: true })]);
  });
});
