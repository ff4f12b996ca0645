import type { VolunteerStore } from '@bricolage/receipts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Connectivity } from './connectivity';
import { wellKnownOf } from './testing';
import { ViewModel } from './view';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

const made: Connectivity[] = [];
// A failed read starts the health check's timer: it ends with the test.
afterEach(() => {
  for (const connectivity of made.splice(0)) connectivity.close();
});

/** A page whose database keeps the coordinator key `saved` (null: none yet), and what it is asked to keep. */
function page(saved: string | null) {
  const model = new ViewModel();
  model.set({ settings: { ...model.view().settings, coordinatorKey: saved } });
  const kept: unknown[] = [];
  const store = { saveSettings: async (patch: unknown) => void kept.push(patch) } as unknown as VolunteerStore;
  const connectivity = new Connectivity({ base: 'http://127.0.0.1:1', model, onBack: () => undefined });
  made.push(connectivity);
  return { model, store, kept, connectivity };
}

describe("the coordinator's key, trusted on first use", () => {
  it('keeps the first key it sees, and checks receipts against it', async () => {
    const { model, store, kept, connectivity } = page(null);
    await connectivity.adoptCoordinatorKey(store, A);
    expect(kept).toEqual([{ coordinatorKey: A }]);
    expect(model.view()).toMatchObject({ coordinatorKey: A, keyChanged: null, settings: { coordinatorKey: A } });
  });

  it('says nothing more when the coordinator publishes the key kept', async () => {
    const { model, store, kept, connectivity } = page(A);
    await connectivity.adoptCoordinatorKey(store, A);
    expect(kept).toEqual([]);
    expect(model.view()).toMatchObject({ coordinatorKey: A, keyChanged: null });
  });

  it('shows another key as a change, checks new receipts against it, and keeps the first', async () => {
    const { model, store, kept, connectivity } = page(A);
    await connectivity.adoptCoordinatorKey(store, B);
    expect(kept).toEqual([]);
    expect(model.view()).toMatchObject({
      coordinatorKey: B,
      keyChanged: { was: A, now: B },
      settings: { coordinatorKey: A },
    });
  });

  it('checks receipts against the key kept while the coordinator does not answer', async () => {
    const { model, store, kept, connectivity } = page(A);
    await connectivity.adoptCoordinatorKey(store, null);
    expect(kept).toEqual([]);
    expect(model.view()).toMatchObject({ coordinatorKey: A, keyChanged: null });
  });

  describe('read again once the coordinator answers after it did not', () => {
    afterEach(() => vi.unstubAllGlobals());
    const publishing = (key: string) =>
      vi.stubGlobal('fetch', async () => new Response(JSON.stringify(wellKnownOf(key))));

    it('gives a page loaded while it was down a key to check receipts against', async () => {
      const { model, store, kept, connectivity } = page(null);
      await connectivity.adoptCoordinatorKey(store, null);
      expect(model.view().coordinatorKey).toBeNull();
      publishing(A);
      await connectivity.readKeyAgain(store);
      expect(kept).toEqual([{ coordinatorKey: A }]);
      expect(model.view()).toMatchObject({ coordinatorKey: A, keyChanged: null });
    });

    it('shows a coordinator back with another key as such', async () => {
      const { model, store, connectivity } = page(A);
      await connectivity.adoptCoordinatorKey(store, A);
      publishing(B);
      await connectivity.readKeyAgain(store);
      expect(model.view()).toMatchObject({ coordinatorKey: B, keyChanged: { was: A, now: B } });
    });

    it('keeps the key it has when the coordinator does not answer after all', async () => {
      const { model, store, kept, connectivity } = page(A);
      await connectivity.adoptCoordinatorKey(store, A);
      vi.stubGlobal('fetch', async () => {
        throw new TypeError('Failed to fetch');
      });
      await connectivity.readKeyAgain(store);
      expect(kept).toEqual([]);
      expect(model.view()).toMatchObject({ coordinatorKey: A, keyChanged: null });
    });
  });
});
