import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { describe, expect, it } from 'vitest';
import type { PublicApi } from '../api';
import { RECEIPTS_PAGE } from './receipt-pages';
import { ReceiptSync } from './receipt-sync';
import { ViewModel } from './view';

/** A store or client that fails the test if anything of it is used. */
const untouchable = <T extends object>(what: string): T =>
  new Proxy({} as T, {
    get: (_, name) => {
      throw new Error(`${what}.${String(name)} was used`);
    },
  });

describe('ReceiptSync', () => {
  it('asks the coordinator nothing while its volunteer may not sign in (a widget whose reader withdrew)', async () => {
    const model = new ViewModel();
    model.set({
      coordinatorKey: 'k'.repeat(64),
      identity: { publicKey: 'p', fingerprint: 'f', restored: false },
    });
    let asked = 0;
    const sync = new ReceiptSync({
      model,
      store: untouchable<VolunteerStore>('store'),
      api: untouchable<PublicApi>('api'),
      volunteer: async () => {
        asked++;
        return null;
      },
    });
    await sync.sync();
    expect(asked).toBe(1);
  });

  it('asks nothing more in the volunteer’s name once it may no longer sign in, though a sync was under way', async () => {
    const model = new ViewModel();
    model.set({ coordinatorKey: 'k'.repeat(64), identity: { publicKey: 'p', fingerprint: 'f', restored: false } });
    const calls: string[] = [];
    let signedIn = true;
    const volunteer = {
      id: 'p',
      receipts: async (after: number) => {
        calls.push(`receipts after ${after}`);
        const receipts = Array.from({ length: RECEIPTS_PAGE }, () => ({}));
        return { ok: true, value: { receipts, next: after + RECEIPTS_PAGE } };
      },
      stats: async () => {
        calls.push('stats');
        return { ok: true, value: { valid: 1 } };
      },
    } as unknown as Volunteer;
    const store = {
      closed: false,
      lastIndex: async () => -1,
      // The reader withdraws while the first page verifies.
      addReceipts: async () => {
        signedIn = false;
        return { added: RECEIPTS_PAGE, rejected: [] };
      },
      recentReceipts: async () => [],
      totals: async () => [],
    } as unknown as VolunteerStore;
    const sync = new ReceiptSync({
      model,
      store,
      api: untouchable<PublicApi>('api'),
      volunteer: async () => (signedIn ? volunteer : null),
    });
    await sync.sync();
    expect(calls).toEqual(['receipts after -1']);
  });

  it('syncs with the volunteer it is given, from the last receipt it keeps', async () => {
    const model = new ViewModel();
    model.set({ coordinatorKey: 'k'.repeat(64), identity: { publicKey: 'p', fingerprint: 'f', restored: false } });
    const calls: string[] = [];
    const volunteer = {
      id: 'p',
      receipts: async (after: number) => {
        calls.push(`receipts after ${after}`);
        return { ok: true, value: { receipts: [], next: null } };
      },
      stats: async () => {
        calls.push('stats');
        return { ok: false, error: { code: 'unavailable', message: 'down' } };
      },
    } as unknown as Volunteer;
    const store = { lastIndex: async () => 41 } as unknown as VolunteerStore;
    const sync = new ReceiptSync({
      model,
      store,
      api: untouchable<PublicApi>('api'),
      volunteer: async () => volunteer,
    });
    await sync.sync();
    expect(calls).toEqual(['receipts after 41', 'stats']);
  });

  it('shows the counters while a sync is still verifying new receipts, and reads them again once they are stored', async () => {
    const model = new ViewModel();
    model.set({ coordinatorKey: 'k'.repeat(64), identity: { publicKey: 'p', fingerprint: 'f', restored: false } });
    let valid = 10;
    const volunteer = {
      id: 'p',
      receipts: async () => ({ ok: true, value: { receipts: [{}], next: null } }),
      stats: async () => ({ ok: true, value: { valid } }),
    } as unknown as Volunteer;
    let release: () => void = () => undefined;
    const verifying = new Promise<void>((r) => {
      release = r;
    });
    let storing = false;
    const store = {
      closed: false,
      lastIndex: async () => -1,
      addReceipts: async () => {
        storing = true;
        await verifying;
        return { added: 1, rejected: [] };
      },
      recentReceipts: async () => [],
      totals: async () => [],
    } as unknown as VolunteerStore;
    const sync = new ReceiptSync({
      model,
      store,
      api: untouchable<PublicApi>('api'),
      volunteer: async () => volunteer,
    });
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
    const model = new ViewModel();
    model.set({ coordinatorKey: 'k'.repeat(64), identity: { publicKey: 'p', fingerprint: 'f', restored: false } });
    const calls: string[] = [];
    const page = (after: number) => ({
      ok: true,
      value: { receipts: after < 200 ? Array.from({ length: 100 }, () => ({})) : [], next: after + 100 },
    });
    const volunteer = {
      id: 'p',
      receipts: async (after: number) => {
        calls.push(`receipts after ${after}`);
        return page(after);
      },
      stats: async () => {
        calls.push('stats');
        return { ok: true, value: { valid: 200 } };
      },
    } as unknown as Volunteer;
    const store = {
      closed: false,
      lastIndex: async () => 0,
      addReceipts: async () => {
        calls.push('store');
        return { added: 100, rejected: [] };
      },
      recentReceipts: async () => [],
      totals: async () => {
        calls.push('show');
        return [];
      },
    } as unknown as VolunteerStore;
    const sync = new ReceiptSync({
      model,
      store,
      api: untouchable<PublicApi>('api'),
      volunteer: async () => volunteer,
    });
    await sync.sync();
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
});
