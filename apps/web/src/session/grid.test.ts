import 'fake-indexeddb/auto';
import { DEFAULT_SETTINGS, type HeldTotals, type StoredIdentity, VolunteerStore } from '@bricolage/receipts';
import { createTestLog } from '@bricolage/receipts/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PublicApi } from '../api';
import { made } from './fake-runtime';
import { Grid } from './grid';
import { gridDatabase, gridOrigin } from './grid-address';
import { outboxNews } from './outbox-news';
import { listedProject, wellKnownOf } from './testing';

vi.mock('@bricolage/runtime', () => import('./fake-runtime'));

const NOTHING_HELD: HeldTotals = { receipts: 0, credit: 0, debits: 0, spent: 0, movedIn: 0, movedOut: 0, failed: 0 };

describe('gridOrigin', () => {
  it('keeps the origin of an http(s) address, whatever follows it', () => {
    expect(gridOrigin(' https://grid.example.org/some/path?x=1 ')).toBe('https://grid.example.org');
    expect(gridOrigin('http://127.0.0.1:18799/')).toBe('http://127.0.0.1:18799');
  });

  it('refuses what is not an http(s) address', () => {
    for (const text of ['', 'grid.example.org', 'ftp://grid.example.org', 'javascript:alert(1)', 'data:,x'])
      expect(gridOrigin(text), text).toBeNull();
  });

  it('names one database per origin, so that grids never share an outbox', () => {
    expect(gridDatabase('https://a.example')).not.toBe(gridDatabase('https://b.example'));
    expect(gridDatabase('https://a.example')).not.toBe('bricolage');
  });
});

describe('Grid', () => {
  it('started before its database is open, waits for it instead of failing', async () => {
    let release: (store: VolunteerStore) => void = () => undefined;
    const offline = async () => {
      throw new Error('offline');
    };
    const grid = new Grid({
      deps: {
        publicApi: () => ({ wellKnown: offline, projects: offline }) as unknown as PublicApi,
        openStore: () => new Promise<VolunteerStore>((resolve) => (release = resolve)),
        outboxNews,
      },
      setting: { url: 'https://other.example', key: 'k', share: 100, servedProjects: null },
      // Where making its volunteer begins: reached only once the database is open.
      identity: async () => {
        throw new Error('asked for the key');
      },
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    const opening = grid.open();
    const started = grid.start().then(
      () => 'started',
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await Promise.race([started, Promise.resolve('waiting')])).toBe('waiting');
    release({
      closed: false,
      // Its outbox is never written in this test: only handed to the volunteer, announcing (outbox-news.ts).
      outbox: {},
      totals: async () => [],
      heldTotals: async () => NOTHING_HELD,
      close: () => undefined,
    } as unknown as VolunteerStore);
    await opening;
    expect(await started).toBe('asked for the key');
    await grid.close();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('asks one thing at a time: a poll that outlasts the interval is not joined by the next ones', async () => {
    vi.useFakeTimers();
    let asked = 0;
    let answer: () => void = () => undefined;
    // A grid that answers slowly: each question waits until the test lets it through.
    const slow = () => {
      asked++;
      return new Promise<never>((_, reject) => {
        answer = () => reject(new Error('offline'));
      });
    };
    const grid = new Grid({
      deps: {
        publicApi: () => ({ wellKnown: slow, projects: slow }) as unknown as PublicApi,
        openStore: async () =>
          ({
            closed: false,
            // Its outbox is never written in this test: only handed to the volunteer, announcing (outbox-news.ts).
            outbox: {},
            totals: async () => [],
            heldTotals: async () => NOTHING_HELD,
            close: () => undefined,
          }) as unknown as VolunteerStore,
        outboxNews,
      },
      setting: { url: 'https://slow.example', key: 'k', share: 100, servedProjects: null },
      identity: async () => {
        throw new Error('not started');
      },
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    await grid.open();
    expect(asked).toBe(2); // its public state on opening: the key and the projects
    answer();
    // Three intervals pass while the first poll's questions wait: only that poll asked.
    await vi.advanceTimersByTimeAsync(3 * 3_000 + 100);
    expect(asked).toBe(4);
    answer();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(asked).toBe(6);
    await grid.close();
  });

  it('reads its receipts one sync at a time: one asked for while a poll syncs runs after it', async () => {
    const offline = async () => {
      throw new Error('offline');
    };
    // A grid whose counters come only when the test lets them: how many syncs ask at once is counted.
    let asking = 0;
    let most = 0;
    const waiting: (() => void)[] = [];
    vi.stubGlobal('fetch', async () => {
      most = Math.max(most, ++asking);
      await new Promise<void>((resolve) => waiting.push(resolve));
      asking--;
      return new Response('{}');
    });
    const store = await VolunteerStore.open('bricolage grid https://sync.example');
    const grid = new Grid({
      deps: {
        publicApi: () => ({ wellKnown: offline, projects: offline }) as unknown as PublicApi,
        openStore: async () => store,
        outboxNews,
      },
      setting: { url: 'https://sync.example', key: 'k', share: 100, servedProjects: null },
      identity: () => store.ensureIdentity(),
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    await grid.open();
    // Two moves of credit end at once, each asking for the grid's receipts.
    const syncs = Promise.all([grid.syncReceipts(), grid.syncReceipts()]);
    await vi.waitFor(() => expect(waiting).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(most).toBe(1);
    waiting.shift()?.();
    await vi.waitFor(() => expect(waiting).toHaveLength(1));
    waiting.shift()?.();
    await syncs;
    expect(most).toBe(1);
    await grid.close();
  });

  it('computing after a reload while its grid was down, lists its projects once the grid answers again', async () => {
    vi.useFakeTimers();
    let up = false;
    vi.stubGlobal('fetch', async () => {
      if (!up) throw new TypeError('Failed to fetch');
      return new Response('{}');
    });
    const project = listedProject('prj_aaaaaaaaaaaaaaaa', 'One');
    const grid = new Grid({
      deps: {
        publicApi: (base, fetcher) =>
          ({
            wellKnown: () => fetcher(`${base}/.well-known`).then(() => wellKnownOf('k')),
            projects: () => fetcher(`${base}/projects`).then(() => [project]),
          }) as unknown as PublicApi,
        openStore: async () =>
          ({
            closed: false,
            // Its outbox is never written in this test: only handed to the volunteer, announcing (outbox-news.ts).
            outbox: {},
            totals: async () => [],
            heldTotals: async () => NOTHING_HELD,
            lastIndex: async () => -1,
            settings: async () => DEFAULT_SETTINGS,
            close: () => undefined,
          }) as unknown as VolunteerStore,
        outboxNews,
      },
      setting: { url: 'https://b.example', key: 'k', share: 100, servedProjects: null },
      identity: async () => ({ publicKey: 'volunteer', privateKey: {} as CryptoKey }) as StoredIdentity,
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    await grid.open();
    await grid.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(grid.view.online).toBe(false);
    expect(grid.view.projects).toEqual([]);
    up = true;
    await vi.advanceTimersByTimeAsync(2 * 3_000);
    expect(grid.view.online).toBe(true);
    expect(grid.view.projects).toEqual([project]);
    await grid.close();
  });

  it('shows a grid that answers again with another key as changed, and keeps checking its receipts against the first', async () => {
    let published = 'k';
    const grid = new Grid({
      deps: {
        publicApi: () =>
          ({ wellKnown: async () => wellKnownOf(published), projects: async () => [] }) as unknown as PublicApi,
        openStore: async () =>
          ({
            closed: false,
            // Its outbox is never written in this test: only handed to the volunteer, announcing (outbox-news.ts).
            outbox: {},
            heldTotals: async () => NOTHING_HELD,
            close: () => undefined,
          }) as unknown as VolunteerStore,
        outboxNews,
      },
      setting: { url: 'https://rekeyed.example', key: 'k', share: 100, servedProjects: null },
      identity: async () => {
        throw new Error('not started');
      },
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    await grid.open();
    await grid.readPublic();
    expect(grid.view.keyChanged).toBeNull();
    published = 'k2';
    await grid.readPublic();
    expect(grid.view.keyChanged).toBe('k2');
    // What its receipts are verified against (GridReceipts' `grid().key`): the key first read.
    expect(grid.view.key).toBe('k');
    expect(grid.setting.key).toBe('k');
    await grid.close();
  });

  it('counts the receipts of work that still verify and their credit, debits apart, and the failed ones by themselves', async () => {
    const offline = async () => {
      throw new Error('offline');
    };
    // The grid's own database (IndexedDB in memory here), holding what its coordinator signed for this key.
    const log = await createTestLog();
    const store = await VolunteerStore.open('bricolage grid https://c.example');
    const me = (await store.ensureIdentity()).publicKey;
    const project = 'prj_aaaaaaaaaaaaaaaa';
    const lost = await log.append(me, { project, credit: 3 });
    const unpaid = await log.append(me, { project, debit: 20 });
    const entries = [
      await log.append(me, { project, credit: 1 }),
      await log.append(me, { project, credit: 2 }),
      lost,
      await log.append(me, { project, debit: 50 }),
      unpaid,
    ];
    expect((await store.addReceipts(entries, log.key.publicKeyText, me)).added).toBe(5);
    // A later re-check fails for the receipt of 3 credit and for the debit of 20.
    const failed = { ok: false, message: 'bad proof', against: 'current' as const, treeSize: 5 };
    const id = ({ receipt: { body } }: typeof lost) => `${body.log}/${body.index}`;
    await store.recordChecks(
      new Map([
        [id(lost), failed],
        [id(unpaid), failed],
      ]),
    );
    const grid = new Grid({
      deps: {
        publicApi: () => ({ wellKnown: offline, projects: offline }) as unknown as PublicApi,
        openStore: async () => store,
        outboxNews,
      },
      setting: { url: 'https://c.example', key: log.key.publicKeyText, share: 100, servedProjects: null },
      identity: async () => {
        throw new Error('not started');
      },
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    await grid.open();
    expect(grid.view).toMatchObject({ receipts: 2, credit: 3, debits: 1, spent: 50, failed: 2 });
    await grid.close();
  });

  it('holds its projects to the keys kept in its database, and keeps the key of a project it first verifies', async () => {
    const store = await VolunteerStore.open('bricolage grid https://d.example');
    await store.saveSettings({ projectKeys: { prj_kept: 'key-kept' } });
    const offline = async () => {
      throw new Error('offline');
    };
    const grid = new Grid({
      deps: {
        publicApi: () => ({ wellKnown: offline, projects: offline }) as unknown as PublicApi,
        openStore: async () => store,
        outboxNews,
      },
      setting: { url: 'https://d.example', key: 'k', share: 100, servedProjects: null },
      identity: async () => ({ publicKey: 'volunteer', privateKey: {} as CryptoKey }) as StoredIdentity,
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    await grid.open();
    made.options.length = 0;
    made.listeners.clear();
    await grid.start();
    expect([...(made.options[0]?.projectKeys ?? [])]).toEqual([['prj_kept', 'key-kept']]);
    // The runtime verified jobs: one of a new project (its key kept), one of the kept project under the key held, one
    // unsigned (nothing to keep).
    for (const event of [
      { type: 'verified', job: 'job_a', project: 'prj_new', signer: 'key-new' },
      { type: 'verified', job: 'job_b', project: 'prj_kept', signer: 'key-other' },
      { type: 'verified', job: 'job_c', project: 'prj_plain', signer: null },
    ])
      for (const listener of made.listeners.get('verified') ?? []) listener(event);
    await vi.waitFor(async () =>
      expect((await store.settings()).projectKeys).toEqual({ prj_kept: 'key-kept', prj_new: 'key-new' }),
    );
    await grid.close();
  });

  it('keeps the keys two tabs of one grid verify, each beside the other’s', async () => {
    const name = 'bricolage grid https://e.example';
    const offline = async () => {
      throw new Error('offline');
    };
    const tab = async () => {
      const store = await VolunteerStore.open(name);
      const grid = new Grid({
        deps: {
          publicApi: () => ({ wellKnown: offline, projects: offline }) as unknown as PublicApi,
          openStore: async () => store,
          outboxNews,
        },
        setting: { url: 'https://e.example', key: 'k', share: 100, servedProjects: null },
        identity: async () => ({ publicKey: 'volunteer', privateKey: {} as CryptoKey }) as StoredIdentity,
        pauseWhenHidden: () => false,
        onChange: () => undefined,
      });
      await grid.open();
      made.listeners.clear();
      await grid.start();
      return { grid, store, verified: [...(made.listeners.get('verified') ?? [])] };
    };
    // Both tabs started before either kept anything: each read the database empty.
    const one = await tab();
    const two = await tab();
    for (const l of one.verified) l({ type: 'verified', job: 'job_1', project: 'prj_one', signer: 'key-one' });
    await vi.waitFor(async () => expect((await one.store.settings()).projectKeys).toHaveProperty('prj_one'));
    for (const l of two.verified) l({ type: 'verified', job: 'job_2', project: 'prj_two', signer: 'key-two' });
    await vi.waitFor(async () =>
      expect((await two.store.settings()).projectKeys).toEqual({ prj_one: 'key-one', prj_two: 'key-two' }),
    );
    await one.grid.close();
    await two.grid.close();
  });
});
