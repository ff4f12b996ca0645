import 'fake-indexeddb/auto';
import { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PublicApi } from '../api';
import { made } from './fake-runtime';
import { Grid } from './grid';
import { outboxNews } from './outbox-news';
import { AFTER_STOP } from './grid-after-stop';
import { GridReceipts } from './grid-receipts';
import type { GridView } from './grid-view';
import { AFTER_STOP_MS, SYNC_MS } from './receipt-sync';
import { wellKnownOf } from './testing';

vi.mock('@bricolage/runtime', () => import('./fake-runtime'));

/** A grid at `url` whose database is `store`, answering its public reads; its key is `identity`'s (the store's). */
const gridOn = (url: string, store: VolunteerStore, identity = () => store.ensureIdentity()): Grid =>
  new Grid({
    deps: {
      publicApi: () => ({ wellKnown: async () => wellKnownOf('k'), projects: async () => [] }) as unknown as PublicApi,
      openStore: async () => store,
      outboxNews,
    },
    setting: { url, key: 'k', share: 100, servedProjects: null },
    identity,
    pauseWhenHidden: () => false,
    onChange: () => undefined,
  });

// A grid the tab computed for and stopped: the results its Stop delivered validate only once a second volunteer
// agrees, and their receipts come then. How often the grid's counters are asked for (each sync asks first) is
// counted on its fetch.
describe('a grid stopped with results waiting for a quorum', () => {
  let asked = 0;
  let n = 0;

  beforeEach(() => {
    // The grid's clock only: IndexedDB (fake-indexeddb) schedules its own work with setImmediate.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    asked = 0;
    made.stats = { valid: 0, pending: 2 };
    vi.stubGlobal('fetch', async () => {
      asked++;
      return new Response('{}');
    });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  async function stoppedGrid(): Promise<Grid> {
    const url = `https://after-stop-${++n}.example`;
    const store = await VolunteerStore.open(`bricolage grid ${url}`);
    const grid = gridOn(url, store);
    await grid.open();
    await grid.start();
    await vi.advanceTimersByTimeAsync(3_000);
    await grid.stop();
    asked = 0;
    return grid;
  }

  it('goes on fetching their receipts every 15 s, and no more once the grid counts none pending', async () => {
    const grid = await stoppedGrid();
    // Its polls come every 3 s; the first after the Stop syncs, the next ones only 15 s after it.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(asked).toBe(1);
    await vi.advanceTimersByTimeAsync(12_000);
    expect(asked).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(asked).toBe(2);
    // Both validated: nothing more comes.
    made.stats = { valid: 2, pending: 0 };
    await vi.advanceTimersByTimeAsync(15_000);
    expect(asked).toBe(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toBe(3);
    await grid.close();
  });

  it('reads again what waits once results are delivered after the Stop: a count of none read before does not end it', async () => {
    const grid = await stoppedGrid();
    // The first poll after the Stop asks before what the Stop sends has reached the grid: none pending.
    made.stats = { valid: 0, pending: 0 };
    await vi.advanceTimersByTimeAsync(3_000);
    expect(asked).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(asked).toBe(1);
    // Then they go, and wait for a second volunteer.
    made.stats = { valid: 0, pending: 2 };
    for (const listener of made.listeners.get('submitted') ?? []) listener({ type: 'submitted' });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(asked).toBe(2);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(asked).toBe(3);
    await grid.close();
  });

  it('gives up 10 minutes after the Stop, and fetches nothing while paused on battery', async () => {
    const grid = await stoppedGrid();
    await vi.advanceTimersByTimeAsync(AFTER_STOP_MS);
    const within = asked;
    expect(within).toBeGreaterThanOrEqual(AFTER_STOP_MS / 15_000 - 2);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(asked).toBe(within);
    await grid.close();

    const onBattery = await stoppedGrid();
    onBattery.setPaused(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toBe(0);
    await onBattery.close();
  });

  it('fetches them as long and as often as the home grid does', () => {
    expect(AFTER_STOP).toEqual({ forMs: AFTER_STOP_MS, everyMs: SYNC_MS });
  });

  it('fetches nothing for a grid never started', async () => {
    const url = 'https://never-started.example';
    const store = await VolunteerStore.open(`bricolage grid ${url}`);
    const grid = gridOn(url, store);
    await grid.open();
    await grid.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toBe(0);
    await grid.close();
  });
});

describe('a grid stopped', () => {
  it('while its volunteer is being made stays stopped', async () => {
    const url = 'https://stopped-early.example';
    const store = await VolunteerStore.open(`bricolage grid ${url}`);
    let release: (() => void) | undefined;
    const grid = gridOn(url, store, async () => {
      // Making its volunteer waits for the key until the test lets it.
      await new Promise<void>((resolve) => (release = resolve));
      return store.ensureIdentity();
    });
    await grid.open();
    const starts = made.starts;
    const started = grid.start();
    await vi.waitFor(() => expect(release).toBeDefined());
    await grid.stop();
    release?.();
    await started;
    expect(made.starts).toBe(starts);
    await grid.close();
  });

  it('does not take the count of pending results from a sync that asked before the Stop', async () => {
    let answer: (pending: number) => void = () => undefined;
    const volunteer = {
      stats: () =>
        new Promise((resolve) => {
          answer = (pending) => resolve({ ok: true, value: { valid: 0, pending } });
        }),
      receipts: async () => ({ ok: true, value: { receipts: [], next: null } }),
    } as unknown as Volunteer;
    const store = await VolunteerStore.open('bricolage grid https://asked-before.example');
    const receipts = new GridReceipts({
      store: () => store,
      grid: () => ({ url: 'https://asked-before.example', key: 'k' }),
      view: () => ({ validated: null, rejected: 0 }) as GridView,
      set: () => undefined,
    });
    const sync = receipts.sync(volunteer);
    await vi.waitFor(() => expect(answer).not.toBe(undefined));
    receipts.forgetPending();
    answer(0);
    await sync;
    expect(receipts.pending).toBeNull();
    // A sync that asks after it is taken.
    const next = receipts.sync(volunteer);
    await new Promise((resolve) => setTimeout(resolve, 10));
    answer(3);
    await next;
    expect(receipts.pending).toBe(3);
  });
});

describe('a grid with results kept from an earlier visit', () => {
  async function gridWith(kept: number): Promise<{ grid: Grid; store: VolunteerStore }> {
    const url = `https://kept-${kept}-${Math.random()}.example`;
    const store = await VolunteerStore.open(`bricolage grid ${url}`);
    await store.ensureIdentity();
    const result = { kind: 'error', lease: 'ls_1', message: 'x', backend: 'wasm', elapsedMs: 1 } as never;
    for (let i = 0; i < kept; i++) await store.outbox.put({ id: `ls_${i}`, result, createdAt: i });
    const grid = gridOn(url, store);
    return { grid, store };
  }

  it('delivers them at load without computing, and nothing when none was kept', async () => {
    const { starts, flushes } = made;
    const kept = await gridWith(2);
    await kept.grid.deliverKept();
    expect(made.flushes).toBe(flushes + 1);
    const none = await gridWith(0);
    await none.grid.deliverKept();
    expect(made.flushes).toBe(flushes + 1);
    expect(made.starts).toBe(starts);
    await kept.grid.close();
    await none.grid.close();
  });

  it('removed while its volunteer is being made, closes that volunteer and delivers nothing', async () => {
    const { grid } = await gridWith(1);
    let loaded: () => void = () => undefined;
    made.loading = new Promise<void>((resolve) => (loaded = resolve));
    const { flushes, closes } = made;
    const asked = made.options.length;
    const delivering = grid.deliverKept();
    // Its volunteer is being made (the runtime's code loading) when the grid is removed.
    await vi.waitFor(() => expect(made.options.length).toBe(asked + 1));
    await grid.close();
    loaded();
    made.loading = Promise.resolve();
    await delivering;
    expect(made.flushes).toBe(flushes);
    expect(made.closes).toBe(closes + 1);
  });
});
