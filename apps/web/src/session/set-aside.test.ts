// Results the coordinator failed on too often, set aside in the page's IndexedDB outbox: after a reload the page shows
// them (the runtime reads them at load), and its Retry delivers them, in another tab of the browser too. The real
// runtime, over a scripted coordinator.
import 'fake-indexeddb/auto';
import { API, type SubmittedResult } from '@bricolage/protocol';
import { VolunteerStore } from '@bricolage/receipts';
import { resultFor } from '@bricolage/runtime/testing';
import { describe, expect, it, vi } from 'vitest';
import { outboxNews } from './outbox-news';
import { computingOn } from './testing';
import { ViewModel } from './view';

/** A coordinator that signs the volunteer in and accepts every result submitted, recording their leases. */
function coordinator() {
  const submitted: string[] = [];
  const fetch = (async (url: string | URL, init?: RequestInit) => {
    const path = new URL(String(url)).pathname;
    if (path === API.challenge)
      return Response.json({ challenge: 'challenge-abcdefghijkl', expiresAt: Date.now() + 60_000 });
    if (path === API.token) return Response.json({ token: 'tok', expiresAt: Date.now() + 600_000 });
    if (path === API.submit) {
      const { results } = JSON.parse(String(init?.body)) as { results: SubmittedResult[] };
      submitted.push(...results.map((r) => r.lease));
      return Response.json({ accepted: results.length, repeated: 0 });
    }
    return Response.json({ error: { code: 'not_found', message: path } }, { status: 404 });
  }) as typeof globalThis.fetch;
  return { fetch, submitted };
}

/** The database as an earlier page left it: a key, and one result set aside after 5 failures. */
async function reloaded(name: string): Promise<VolunteerStore> {
  const store = await VolunteerStore.open(name);
  await store.ensureIdentity();
  await store.outbox.put({ id: 'ls_poison', result: resultFor('ls_poison'), createdAt: 1 });
  for (let i = 0; i < 5; i++) await store.outbox.recordFailure('ls_poison');
  await store.outbox.setAside('ls_poison', { code: 'internal', message: 'internal error' }, 2);
  return store;
}

describe('results set aside by an earlier page', () => {
  it('are shown at load, and Retry delivers them', async () => {
    const store = await reloaded('bricolage set aside test');
    const model = new ViewModel();
    const { fetch, submitted } = coordinator();
    const computing = computingOn(model, store, fetch);

    // Nothing waits to be delivered: the page loads the runtime for the one set aside alone.
    await computing.deliver('kept');
    expect(model.view().dropped).toMatchObject([{ lease: 'ls_poison', code: 'internal', kind: 'set-aside' }]);
    expect(model.view().session).toMatchObject({ dropped: 1, setAside: 1 });
    expect(submitted).toEqual([]);

    await computing.deliver('retry');
    expect(submitted).toEqual(['ls_poison']);
    expect(model.view().dropped).toEqual([]);
    expect(model.view().session).toMatchObject({ accepted: 1, dropped: 0, setAside: 0, outbox: 0 });
    expect(await store.outbox.setAsideEntries()).toEqual([]);
    await computing.close();
    store.close();
  });

  it("shown in two tabs, are shown in neither once one tab's Retry delivered them", async () => {
    const name = 'bricolage set aside two tabs test';
    await reloaded(name);
    const [here, there] = [new ViewModel(), new ViewModel()];
    const { fetch, submitted } = coordinator();
    const computingHere = computingOn(here, await VolunteerStore.open(name), fetch, name);
    const computingThere = computingOn(there, await VolunteerStore.open(name), fetch, name);
    await computingHere.deliver('kept');
    await computingThere.deliver('kept');
    expect(here.view().session).toMatchObject({ dropped: 1, setAside: 1 });

    await computingThere.deliver('retry');
    expect(submitted).toEqual(['ls_poison']);
    expect(there.view().session).toMatchObject({ setAside: 0, outbox: 0 });
    // No event of the other tab's volunteer reaches this one: its news of the outbox does.
    await vi.waitFor(() => expect(here.view().session).toMatchObject({ dropped: 0, setAside: 0, outbox: 0 }));
    expect(here.view().dropped).toEqual([]);
    expect(here.view().outbox).toBe(0);
    await Promise.all([computingHere.close(), computingThere.close()]);
  });

  it('set aside in another tab, are shown in a tab that had nothing waiting at its load (found by a review)', async () => {
    const name = 'bricolage set aside idle tab test';
    const store = await VolunteerStore.open(name);
    await store.ensureIdentity();
    const here = new ViewModel();
    const { fetch, submitted } = coordinator();
    const computingHere = computingOn(here, await VolunteerStore.open(name), fetch, name);
    // Nothing waits: no volunteer is made, as at a page's load.
    await computingHere.deliver('kept');
    expect(computingHere.volunteer).toBeNull();

    // The other tab's volunteer puts a result in and, failing on it again and again, sets it aside.
    const there = outboxNews(name, async () => undefined);
    const outbox = there.announcing(store.outbox);
    await outbox.put({ id: 'ls_poison', result: resultFor('ls_poison'), createdAt: 1 });
    await outbox.setAside('ls_poison', { code: 'internal', message: 'internal error' }, 2);
    await vi.waitFor(() => expect(here.view().session).toMatchObject({ setAside: 1 }));
    expect(here.view().dropped).toMatchObject([{ lease: 'ls_poison', kind: 'set-aside' }]);
    // Shown, not sent: its Retry sends it.
    expect(submitted).toEqual([]);
    await computingHere.deliver('retry');
    expect(submitted).toEqual(['ls_poison']);
    there.close();
    await computingHere.close();
    store.close();
  });
});
