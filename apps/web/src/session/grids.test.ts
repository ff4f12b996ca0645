import type { StoredReceipt, VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PublicApi } from '../api';
import { Grids } from './grids';
import { outboxNews } from './outbox-news';
import { wellKnownOf } from './testing';
import { ViewModel } from './view';

/** Coordinators by origin, each publishing its key; the page came from http://localhost:8851. */
const KEYS: Record<string, string | undefined> = {
  'http://localhost:8851': 'home-key',
  'http://127.0.0.1:8851': 'home-key',
  'https://b.example': 'b-key',
  'https://b2.example': 'b-key',
};

/** The volunteers the grids added by URL make (the runtime's own would ask the network): what `gridVolunteer` says. */
const gridVolunteer: Record<string, unknown> = {};
vi.mock('@bricolage/runtime', () => ({
  createVolunteer: async () => ({ on: () => () => undefined, close: async () => undefined, ...gridVolunteer }),
}));

/** A kept record of an export of `debit` credit from the home grid to grid b (the fields the moves read). */
const keptExport = (index: number, debit: number, at = Date.now()): StoredReceipt =>
  ({
    index,
    at,
    volunteer: 'volunteer-key',
    project: '',
    credit: -debit,
    check: { ok: true },
    proven: {
      receipt: {
        body: { type: 'export', log: 'home-key', index, volunteer: 'volunteer-key', to: 'b-key', debit, at },
      },
    },
  }) as unknown as StoredReceipt;

/** The home grid's receipts as read anew (a sync kept some): each time other totals, so that the page looks again. */
let syncs = 0;
const homeSynced = (model: ViewModel) => model.set({ totals: [{ project: `p${++syncs}` } as never] });

/** The grids of a page whose home grid's volunteer is `homeVolunteer`; its databases (one here) keep `kept`. */
function grids(homeVolunteer: object = {}, kept: StoredReceipt[] = []): { grids: Grids; model: ViewModel } {
  const model = new ViewModel();
  model.set({ coordinatorKey: 'home-key' });
  const store = {
    closed: false,
    // Its outbox is never written in these tests: only handed to the volunteers, announcing (outbox-news.ts).
    outbox: {},
    saveSettings: async () => undefined,
    totals: async () => [],
    heldTotals: async () => ({ receipts: 0, credit: 0, debits: 0, spent: 0, movedIn: 0, movedOut: 0, failed: 0 }),
    close: () => undefined,
    identity: async () => ({ publicKey: 'volunteer-key' }),
    ensureIdentity: async () => ({ publicKey: 'volunteer-key' }),
    settings: async () => ({ projectKeys: {} }),
    receiptsOfProject: async (project: string) => kept.filter((r) => r.project === project),
  } as unknown as VolunteerStore;
  const grids = new Grids({
    home: 'http://localhost:8851/',
    store,
    model,
    setHomeDuty: () => undefined,
    homeVolunteer: async () => homeVolunteer as Volunteer,
    syncHome: async () => undefined,
    onBattery: () => false,
    publicApi: (base) =>
      ({
        // An origin that is no coordinator answers some other JSON.
        wellKnown: async () => (KEYS[base] ? wellKnownOf(KEYS[base]) : { hello: 'world' }),
        projects: async () => [],
      }) as unknown as PublicApi,
    openStore: async () => store,
    outboxNews,
  });
  return { grids, model };
}

describe('Grids.add', () => {
  let opened: Grids | null = null;
  afterEach(async () => {
    await opened?.close();
    opened = null;
  });

  it("refuses an address whose answers are not a coordinator's, and says why", async () => {
    const { grids: g, model } = grids();
    opened = g;
    expect(await g.add('https://not-a-grid.example')).toBe(false);
    expect(g.view().error).toMatch(
      /^https:\/\/not-a-grid\.example did not answer as a coordinator: its answer to \/\.well-known\/bricolage\.json is not what the protocol says/,
    );
    expect(model.view().settings.grids).toEqual([]);
  });

  it("refuses the page's own coordinator under another host name, by its key", async () => {
    const { grids: g, model } = grids();
    opened = g;
    expect(await g.add('http://127.0.0.1:8851')).toBe(false);
    expect(g.view().error).toBe('That is the coordinator this page came from.');
    expect(g.view().grids).toEqual([]);
    expect(model.view().settings.grids).toEqual([]);
  });

  it('refuses a grid already added under another host name, by its key', async () => {
    const { grids: g } = grids();
    opened = g;
    expect(await g.add('https://b.example')).toBe(true);
    expect(await g.add('https://b2.example')).toBe(false);
    expect(g.view().error).toBe('That grid is already here, as https://b.example.');
    expect(g.view().grids.map((v) => v.url)).toEqual(['https://b.example']);
  });
});

describe('Grids.move', () => {
  let opened: Grids | null = null;
  afterEach(async () => {
    vi.useRealTimers();
    await opened?.close();
    opened = null;
  });

  it('sends a move that got no answer again under the same request id, and a new move under a new one once it is settled', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const sent: { to: string; amount: number; requestId?: string }[] = [];
    const settled: string[] = [];
    const { grids: g } = grids({
      exportCredit: async (request: { to: string; amount: number; requestId?: string }) => {
        sent.push(request);
        return { ok: false, error: { code: 'network', message: 'Failed to fetch', status: 0, transient: true } };
      },
      settleExport: async (requestId: string) => {
        settled.push(requestId);
        return { ok: true, value: { kind: 'closed' } };
      },
    });
    opened = g;
    expect(await g.add('https://b.example')).toBe(true);
    const moving = (amount: number) => {
      const done = g.move('https://b.example', 'toGrid', amount);
      return vi.runAllTimersAsync().then(() => done);
    };
    // A second press while the first is under way does nothing.
    const first = g.move('https://b.example', 'toGrid', 2);
    expect(g.view().moves['https://b.example']?.busy).toBe(true);
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    await vi.runAllTimersAsync();
    expect(await first).toBe(false);
    expect(g.view().moves['https://b.example']).toMatchObject({ busy: false, failed: true });
    expect(g.view().moves['https://b.example']?.message).toContain('it may have moved the credit');
    expect(await moving(2)).toBe(false);
    expect(await moving(3)).toBe(false);
    const ids = sent.map((r) => r.requestId);
    expect(sent.map((r) => [r.to, r.amount])).toEqual([...Array(6).fill(['b-key', 2]), ...Array(3).fill(['b-key', 3])]);
    expect(new Set(ids.slice(0, 6)).size).toBe(1);
    expect(new Set(ids.slice(6)).size).toBe(1);
    expect(ids[6]).not.toBe(ids[0]);
    // The move of 3 waited for the grid to settle the move of 2 (closed: it will never move).
    expect(settled).toEqual([ids[0]]);
  });

  /**
   * A home grid that keeps export requests as a coordinator does (steps/export.ts): a settle answers the export made
   * under the id, or closes the id, and a request landing under a closed id moves nothing. Its exports' answers are
   * lost unless `answering`: each such request is held on its way (a proxy, a busy database) until `land`. `states`
   * overrides what a settle of an id answers (a grid that does not say).
   */
  const unanswered = (states = new Map<string, unknown>()) => {
    const sent: { amount: number; requestId?: string }[] = [];
    const held: { amount: number; requestId?: string }[] = [];
    const asked: string[] = [];
    const moved = new Map<string, number>();
    const closed = new Set<string>();
    const made = ({ amount, requestId = '' }: { amount: number; requestId?: string }) => {
      if (!closed.has(requestId) && !moved.has(requestId)) moved.set(requestId, amount);
    };
    const home = {
      answering: false,
      volunteer: {
        exportCredit: async (request: { amount: number; requestId?: string }) => {
          sent.push(request);
          if (home.answering) {
            made(request);
            return { ok: true, value: { receipt: keptExport(10 + sent.length, request.amount).proven } };
          }
          held.push(request);
          const error = {
            code: 'network',
            message: 'no answer within 30 s',
            status: 0,
            transient: true,
            timedOut: true,
          };
          return { ok: false, error };
        },
        settleExport: async (requestId: string) => {
          asked.push(requestId);
          const amount = moved.get(requestId);
          if (states.has(requestId)) return states.get(requestId);
          if (amount !== undefined)
            return { ok: true, value: { kind: 'exported', receipt: keptExport(9, amount).proven } };
          closed.add(requestId);
          return { ok: true, value: { kind: 'closed' } };
        },
      },
      sent,
      asked,
      moved,
      /** The requests held on their way land. */
      land: () => held.splice(0).forEach(made),
    };
    return home;
  };

  it('does not take another move of the same amount the same way for the one that got no answer', async () => {
    const kept: StoredReceipt[] = [keptExport(3, 2)];
    const states = new Map<string, unknown>();
    const home = unanswered(states);
    const { grids: g, model } = grids(home.volunteer, kept);
    opened = g;
    await g.boot();
    expect(await g.add('https://b.example')).toBe(true);
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    const requestId = home.sent[0]?.requestId as string;
    expect(g.view().moves['https://b.example']?.unsure).toMatchObject({ direction: 'toGrid', amount: 2, requestId });
    // Another tab moves 2 the same way, just after: its export, new and dated now, is all the receipts show.
    kept.push(keptExport(8, 2));
    homeSynced(model);
    await vi.waitFor(() =>
      expect(g.view().moves['https://b.example']?.message).toBe(
        'The move of 2 credit that got no answer did not go through, and will not: this coordinator made no export under it, and refuses it should it still arrive. Moving again is a new move.',
      ),
    );
    expect(new Set(home.asked)).toEqual(new Set([requestId]));
    expect(g.view().moves['https://b.example']).toMatchObject({ failed: false, waitingToGrid: 2 + 2, unsure: null });
    // Moving 2 again is a new move, under a new request; the first, landing late, moves nothing.
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    expect(home.sent[1]?.requestId).not.toBe(requestId);
    home.land();
    expect([...home.moved.keys()]).toEqual([home.sent[1]?.requestId]);
  });

  it('says a move that got no answer did not go through once its grid closed the request, which landing late moves nothing', async () => {
    // The review's case: the page said "did not go through" of a request still on its way, and the volunteer, told
    // so, moved another amount; the first request landed after, and the credit moved twice.
    const home = unanswered();
    const { grids: g, model } = grids(home.volunteer, []);
    opened = g;
    await g.boot();
    expect(await g.add('https://b.example')).toBe(true);
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    const first = home.sent[0]?.requestId as string;
    homeSynced(model);
    await vi.waitFor(() =>
      expect(g.view().moves['https://b.example']?.message).toMatch(/did not go through, and will not/),
    );
    expect(home.asked).toEqual([first]);
    home.answering = true;
    expect(await g.move('https://b.example', 'toGrid', 3)).toBe(true);
    // The first request lands now: closed, it moves nothing. 3 left the home grid, the one move the volunteer meant.
    home.land();
    expect([...home.moved.values()]).toEqual([3]);
    homeSynced(model);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Settled for good: not asked after again, and nothing said of it since.
    expect(home.asked).toEqual([first]);
    expect(g.view().moves['https://b.example']?.message).toMatch(/^Moved 3 credit from this coordinator/);
  });

  it('settles a move that got no answer before one of another amount or way: nothing more moves until its grid says', async () => {
    const states = new Map<string, unknown>();
    const home = unanswered(states);
    const { grids: g } = grids(home.volunteer, []);
    opened = g;
    expect(await g.add('https://b.example')).toBe(true);
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    const first = home.sent[0]?.requestId as string;
    // The home grid, which the first move left, does not say: a move back (grid b's volunteer) is not made.
    states.set(first, {
      ok: false,
      error: { code: 'network', message: 'Failed to fetch', status: 0, transient: true },
    });
    expect(await g.move('https://b.example', 'toHome', 2)).toBe(false);
    expect(home.asked).toEqual([first]);
    expect(g.view().moves['https://b.example']).toMatchObject({
      failed: true,
      unsure: { direction: 'toGrid', amount: 2, requestId: first },
      message:
        'The move of 2 credit that got no answer is not settled yet (Failed to fetch), so nothing more was moved: try again later, or move 2 the same way to send that request again (it moves at most once).',
    });
    // It landed, and the grid now says so: a move of 3 is not made either, and the page says the first went through.
    states.delete(first);
    home.land();
    expect(await g.move('https://b.example', 'toGrid', 3)).toBe(false);
    expect(home.sent).toHaveLength(1);
    expect(g.view().moves['https://b.example']).toMatchObject({
      unsure: null,
      message:
        'The move of 2 credit that got no answer went through: this coordinator exported it to https://b.example. Nothing more was moved.',
    });
    // Pressed again, 3 is a new move.
    expect(await g.move('https://b.example', 'toGrid', 3)).toBe(false);
    expect(home.sent[1]).toMatchObject({ amount: 3 });
    expect(home.sent[1]?.requestId).not.toBe(first);
  });

  it('takes a move that got no answer for one that went through once its grid says it made the export, and moves anew after', async () => {
    const kept: StoredReceipt[] = [];
    const states = new Map<string, unknown>();
    const home = unanswered(states);
    const { grids: g, model } = grids(home.volunteer, kept);
    opened = g;
    await g.boot();
    expect(await g.add('https://b.example')).toBe(true);
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    const requestId = home.sent[0]?.requestId as string;
    // A grid that does not say (an older one, without the route) settles nothing.
    states.set(requestId, { ok: false, error: { code: 'not_found', message: 'no route', status: 404 } });
    homeSynced(model);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(g.view().moves['https://b.example']?.unsure).toMatchObject({ direction: 'toGrid', amount: 2, requestId });
    // It did move: the receipt sync keeps the export, and the grid says it was this request's. Its clock runs 10
    // minutes behind the page's: the export's date says nothing of whose it is.
    const export8 = keptExport(8, 2, Date.now() - 10 * 60_000);
    kept.push(export8);
    states.set(requestId, { ok: true, value: { kind: 'exported', receipt: export8.proven } });
    homeSynced(model);
    await vi.waitFor(() => expect(g.view().moves['https://b.example']?.unsure).toBeNull());
    expect(g.view().moves['https://b.example']).toMatchObject({
      failed: false,
      waitingToGrid: 2,
      message:
        'The move of 2 credit that got no answer went through: this coordinator exported it to https://b.example.',
    });
    // The volunteer moving 2 again now means 2 more: a new request.
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    expect(home.sent).toHaveLength(2);
    expect(home.sent[1]?.requestId).not.toBe(requestId);
    expect(home.asked[0]).toBe(requestId);
  });

  it("keeps a move that got no answer through a failure of the page's own: the next move still sends its request id", async () => {
    const sent: (string | undefined)[] = [];
    let calls = 0;
    const { grids: g } = grids({
      exportCredit: async (request: { requestId?: string }) => {
        if (++calls === 2) throw new Error('the database is not open');
        sent.push(request.requestId);
        const error = { code: 'network', message: 'no answer within 30 s', status: 0, transient: true, timedOut: true };
        return { ok: false, error };
      },
    });
    opened = g;
    expect(await g.add('https://b.example')).toBe(true);
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    expect(g.view().moves['https://b.example']?.message).toBe('the database is not open');
    expect(await g.move('https://b.example', 'toGrid', 2)).toBe(false);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
  });

  it("counts a move the other grid credited as not waiting before that grid's receipts of it are read", async () => {
    const kept: StoredReceipt[] = [];
    const exportOf = (index: number) => ({
      receipt: { receipt: { body: keptExport(index, 1.5).proven.receipt.body } },
    });
    const { grids: g, model } = grids(
      {
        exportCredit: async () => {
          // The home grid's receipt sync keeps the export; grid b's import of it is never read (b syncs nothing).
          kept.push(keptExport(5, 1.5));
          return { ok: true, value: exportOf(5) };
        },
      },
      kept,
    );
    gridVolunteer.importCredit = async () => ({ ok: true, value: { accepted: 1, credit: 1.5 } });
    opened = g;
    await g.boot();
    expect(await g.add('https://b.example')).toBe(true);
    expect(await g.move('https://b.example', 'toGrid', 1.5)).toBe(true);
    homeSynced(model);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(g.view().moves['https://b.example']).toMatchObject({
      waitingToGrid: 0,
      message: 'Moved 1.5 credit from this coordinator to https://b.example.',
    });
    delete gridVolunteer.importCredit;
  });
});
