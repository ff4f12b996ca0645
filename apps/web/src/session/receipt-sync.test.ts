import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { describe, expect, it, vi } from 'vitest';
import type { PublicApi } from '../api';
import { RECEIPTS_PAGE } from './receipt-pages';
import { AFTER_STOP_MS, ReceiptSync } from './receipt-sync';
import { ViewModel } from './view';

/** A store or client that fails the test if anything of it is used. */
const untouchable = <T extends object>(what: string): T =>
  new Proxy({} as T, {
    get: (_, name) => {
      throw new Error(`${what}.${String(name)} was used`);
    },
  });

/** The page's model once the visitor has an identity and the coordinator's key is known. */
const signedInModel = (): ViewModel => {
  const model = new ViewModel();
  model.set({ coordinatorKey: 'k'.repeat(64), identity: { publicKey: 'p', fingerprint: 'f', restored: false } });
  return model;
};

type Answer = { ok: boolean; value?: unknown; error?: unknown };

/** A volunteer whose receipt pages and counters come from the test; `calls` records what was asked, in order. */
const fakeVolunteer = (
  calls: string[],
  answers: { receipts: (after: number) => Answer; stats: () => Answer },
): Volunteer =>
  ({
    id: 'p',
    receipts: async (after: number) => {
      calls.push(`receipts after ${after}`);
      return answers.receipts(after);
    },
    stats: async () => {
      calls.push('stats');
      return answers.stats();
    },
  }) as unknown as Volunteer;

/** An open store holding receipts up to `lastIndex`; each method the test names replaces the default. */
const fakeStore = (lastIndex: number, overrides: Partial<Record<keyof VolunteerStore, unknown>> = {}): VolunteerStore =>
  ({
    closed: false,
    lastIndex: async () => lastIndex,
    addReceipts: async () => ({ added: 0, rejected: [] }),
    recentReceipts: async () => [],
    totals: async () => [],
    ...overrides,
  }) as unknown as VolunteerStore;

const syncFor = (model: ViewModel, store: VolunteerStore, volunteer: () => Promise<Volunteer | null>): ReceiptSync =>
  new ReceiptSync({ model, store, api: untouchable<PublicApi>('api'), volunteer });

describe('ReceiptSync', () => {
  it('imports nothing from a file too large to read, says why, and reads none of it', async () => {
    const model = signedInModel();
    const sync = syncFor(model, untouchable<VolunteerStore>('store'), async () => null);
    const huge = { size: 2 ** 31, text: () => Promise.reject(new Error('read')) } as unknown as Blob;
    await sync.importFile(huge, 'receipts.json');
    expect(model.view().notices.at(-1)).toMatchObject({
      kind: 'error',
      title: 'Nothing imported from receipts.json',
      lines: ['The file is 2048 MiB; a key backup or receipts file is at most 128 MiB.'],
    });
    expect(model.view().busy.importing).toBe(false);
  });

  it('asks the coordinator nothing while its volunteer may not sign in (a widget whose reader withdrew)', async () => {
    let asked = 0;
    const sync = syncFor(signedInModel(), untouchable<VolunteerStore>('store'), async () => {
      asked++;
      return null;
    });
    await sync.sync();
    expect(asked).toBe(1);
  });

  it('asks nothing more in the volunteer’s name once it may no longer sign in, though a sync was under way', async () => {
    const calls: string[] = [];
    let signedIn = true;
    const volunteer = fakeVolunteer(calls, {
      receipts: (after) => ({
        ok: true,
        value: { receipts: Array.from({ length: RECEIPTS_PAGE }, () => ({})), next: after + RECEIPTS_PAGE },
      }),
      stats: () => ({ ok: true, value: { valid: 1 } }),
    });
    const store = fakeStore(-1, {
      // The reader withdraws while the first page verifies.
      addReceipts: async () => {
        signedIn = false;
        return { added: RECEIPTS_PAGE, rejected: [] };
      },
    });
    await syncFor(signedInModel(), store, async () => (signedIn ? volunteer : null)).sync();
    expect(calls).toEqual(['receipts after -1']);
  });

  it('syncs with the volunteer it is given, from the last receipt it keeps', async () => {
    const calls: string[] = [];
    const volunteer = fakeVolunteer(calls, {
      receipts: () => ({ ok: true, value: { receipts: [], next: null } }),
      stats: () => ({ ok: false, error: { code: 'unavailable', message: 'down' } }),
    });
    await syncFor(signedInModel(), fakeStore(41), async () => volunteer).sync();
    expect(calls).toEqual(['receipts after 41', 'stats']);
  });

  it('a sync asked for while one is under way runs again after it, from what that one kept', async () => {
    vi.useFakeTimers();
    try {
      const calls: string[] = [];
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let first = true;
      const volunteer = fakeVolunteer(calls, {
        receipts: () => ({ ok: true, value: { receipts: [], next: null } }),
        stats: () => ({ ok: false, error: { code: 'unavailable', message: 'down' } }),
      });
      const slow = {
        ...volunteer,
        receipts: async (after: number) => {
          if (first) {
            first = false;
            await held;
          }
          return volunteer.receipts(after);
        },
      } as unknown as Volunteer;
      const sync = syncFor(signedInModel(), fakeStore(41), async () => slow);
      const under = sync.sync();
      await vi.advanceTimersByTimeAsync(0);
      // The results a Stop delivered: a sync is asked for while the one above waits on its answer.
      sync.schedule(0);
      await vi.advanceTimersByTimeAsync(0);
      release();
      await under;
      await vi.advanceTimersByTimeAsync(10);
      expect(calls.filter((c) => c.startsWith('receipts'))).toEqual(['receipts after 41', 'receipts after 41']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows the counters while a sync is still verifying new receipts, and reads them again once they are stored', async () => {
    const model = signedInModel();
    let valid = 10;
    const volunteer = fakeVolunteer([], {
      receipts: () => ({ ok: true, value: { receipts: [{}], next: null } }),
      stats: () => ({ ok: true, value: { valid } }),
    });
    let release: () => void = () => undefined;
    const verifying = new Promise<void>((r) => {
      release = r;
    });
    let storing = false;
    const store = fakeStore(-1, {
      addReceipts: async () => {
        storing = true;
        await verifying;
        return { added: 1, rejected: [] };
      },
    });
    const sync = syncFor(model, store, async () => volunteer);
    // Results were submitted: a sync is due, and it is slow to store what it fetched.
    sync.schedule(0);
    await expect.poll(() => storing).toBe(true);
    await expect.poll(() => model.view().stats).toMatchObject({ valid: 10 });
    // More validate meanwhile; the next submission's schedule reads them though the sync is still running.
    valid = 11;
    sync.schedule(0);
    await expect.poll(() => model.view().stats).toMatchObject({ valid: 11 });
    valid = 12;
    release();
    await sync.sync();
    expect(model.view().stats).toMatchObject({ valid: 12 });
  });

  it('reads the counters before it shows each page of new entries, so the wallet never sees entries newer than them', async () => {
    const calls: string[] = [];
    const volunteer = fakeVolunteer(calls, {
      receipts: (after) => ({
        ok: true,
        value: { receipts: after < 200 ? Array.from({ length: 100 }, () => ({})) : [], next: after + 100 },
      }),
      stats: () => ({ ok: true, value: { valid: 200 } }),
    });
    const store = fakeStore(0, {
      addReceipts: async () => {
        calls.push('store');
        return { added: 100, rejected: [] };
      },
      totals: async () => {
        calls.push('show');
        return [];
      },
    });
    await syncFor(signedInModel(), store, async () => volunteer).sync();
    expect(calls).toEqual([
      'receipts after 0',
      'store',
      'stats',
      'show',
      'receipts after 100',
      'store',
      'stats',
      'show',
      'receipts after 200',
      'stats',
    ]);
  });

  it('syncs nothing of its own accord while paused on battery, and again once on the charger', async () => {
    vi.useFakeTimers();
    try {
      const model = signedInModel();
      const onBattery = { supported: true, charging: false, level: 0.4 };
      model.set({
        runtimeState: 'paused',
        settings: { ...model.view().settings, pauseOnBattery: true },
        battery: onBattery,
      });
      const calls: string[] = [];
      const volunteer = fakeVolunteer(calls, {
        receipts: () => ({ ok: true, value: { receipts: [], next: null } }),
        stats: () => ({ ok: false, error: { code: 'unavailable', message: 'down' } }),
      });
      const sync = syncFor(model, fakeStore(-1), async () => volunteer);
      sync.syncPeriodically();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(calls).toEqual([]);
      model.set({ battery: { ...onBattery, charging: true } });
      await vi.advanceTimersByTimeAsync(16_000);
      expect(calls).toContain('receipts after -1');
      sync.close();
    } finally {
      vi.useRealTimers();
    }
  });

  describe('after a Stop', () => {
    const statsWith = (pending: number) => ({ ok: true, value: { volunteer: 'p', valid: 3, pending } as unknown });
    const emptyPages = () => ({ ok: true, value: { receipts: [], next: null } });

    it('goes on fetching receipts while results wait for their quorum, and stops once none do', async () => {
      vi.useFakeTimers();
      try {
        const model = signedInModel();
        let pending = 2;
        const calls: string[] = [];
        const volunteer = fakeVolunteer(calls, { receipts: emptyPages, stats: () => statsWith(pending) });
        const sync = syncFor(model, fakeStore(-1), async () => volunteer);
        sync.syncPeriodically();
        model.set({ runtimeState: 'running' });
        model.set({ runtimeState: 'stopped', stats: statsWith(pending).value as never });
        await vi.advanceTimersByTimeAsync(16_000);
        expect(calls).toContain('receipts after -1');
        // The second volunteer's results came: none wait any more, and the next sync's counters say so.
        pending = 0;
        await vi.advanceTimersByTimeAsync(15_000);
        calls.length = 0;
        await vi.advanceTimersByTimeAsync(60_000);
        expect(calls).toEqual([]);
        sync.close();
      } finally {
        vi.useRealTimers();
      }
    });

    it('gives up waiting for them some minutes after the tab last computed', async () => {
      vi.useFakeTimers();
      try {
        const model = signedInModel();
        const calls: string[] = [];
        const volunteer = fakeVolunteer(calls, { receipts: emptyPages, stats: () => statsWith(1) });
        const sync = syncFor(model, fakeStore(-1), async () => volunteer);
        sync.syncPeriodically();
        model.set({ runtimeState: 'running' });
        model.set({ runtimeState: 'stopped', stats: statsWith(1).value as never });
        await vi.advanceTimersByTimeAsync(AFTER_STOP_MS - 15_000);
        expect(calls.filter((c) => c.startsWith('receipts')).length).toBeGreaterThan(30);
        await vi.advanceTimersByTimeAsync(30_000);
        calls.length = 0;
        await vi.advanceTimersByTimeAsync(5 * 60_000);
        expect(calls).toEqual([]);
        sync.close();
      } finally {
        vi.useRealTimers();
      }
    });

    it('asks nothing of its own accord in a tab that never computed, results pending or not', async () => {
      vi.useFakeTimers();
      try {
        const model = signedInModel();
        model.set({ runtimeState: 'stopped', stats: statsWith(4).value as never });
        const calls: string[] = [];
        const volunteer = fakeVolunteer(calls, { receipts: emptyPages, stats: () => statsWith(4) });
        const sync = syncFor(model, fakeStore(-1), async () => volunteer);
        sync.syncPeriodically();
        await vi.advanceTimersByTimeAsync(60_000);
        expect(calls).toEqual([]);
        sync.close();
      } finally {
        vi.useRealTimers();
      }
    });
  });
});
