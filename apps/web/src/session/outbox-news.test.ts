// Two tabs of one browser as two stores over one database, each with its news of that outbox (Node's BroadcastChannel
// carries it between them as a browser's does between tabs).
import 'fake-indexeddb/auto';
import { VolunteerStore } from '@bricolage/receipts';
import { resultFor } from '@bricolage/runtime/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type OutboxNews, outboxNews } from './outbox-news';

const entry = (id: string) => ({ id, result: resultFor(id), createdAt: 1 });

describe("a tab's news of an outbox", () => {
  let n = 0;
  const opened: { close(): void }[] = [];

  afterEach(() => {
    for (const o of opened.splice(0)) o.close();
  });

  /** A tab with `database` open, and what it counted each time it heard of a change there. */
  async function tab(database: string) {
    const store = await VolunteerStore.open(database);
    const counted: { undelivered: number; setAside: number }[] = [];
    const news: OutboxNews = outboxNews(database, async () => counted.push(await store.outbox.counts()));
    opened.push(news, store);
    return { store, counted, news, outbox: news.announcing(store.outbox) };
  }

  it('tells every other tab with that outbox of each change, once committed, and not the tab itself', async () => {
    const name = `news ${++n}`;
    const [a, b, elsewhere] = [await tab(name), await tab(name), await tab(`${name} other`)];
    await b.outbox.putMany([entry('ls_1'), entry('ls_2')]);
    await vi.waitFor(() => expect(a.counted.at(-1)).toEqual({ undelivered: 2, setAside: 0 }));
    await b.outbox.setAside('ls_1', { code: 'internal', message: 'internal error' }, 2);
    await vi.waitFor(() => expect(a.counted.at(-1)).toEqual({ undelivered: 1, setAside: 1 }));
    await b.outbox.retryAside();
    await vi.waitFor(() => expect(a.counted.at(-1)).toEqual({ undelivered: 2, setAside: 0 }));
    await b.outbox.remove(['ls_1', 'ls_2']);
    await vi.waitFor(() => expect(a.counted.at(-1)).toEqual({ undelivered: 0, setAside: 0 }));

    // Its own changes a tab's volunteer tells it of; another outbox's are none of its business.
    await a.outbox.put(entry('ls_3'));
    await vi.waitFor(() => expect(b.counted.at(-1)).toEqual({ undelivered: 1, setAside: 0 }));
    expect(a.counted.at(-1)).toEqual({ undelivered: 0, setAside: 0 });
    expect(elsewhere.counted).toEqual([]);
  });

  it('counts a burst of changes a few times, not once each', async () => {
    const name = `news ${++n}`;
    const [a, b] = [await tab(name), await tab(name)];
    for (let i = 0; i < 20; i++) await b.outbox.put(entry(`ls_${i}`));
    await vi.waitFor(() => expect(a.counted.at(-1)).toEqual({ undelivered: 20, setAside: 0 }));
    expect(a.counted.length).toBeLessThan(5);
  });

  it('hears nothing and tells nothing once closed, and its outbox still works', async () => {
    const name = `news ${++n}`;
    const [a, b] = [await tab(name), await tab(name)];
    a.news.close();
    await b.outbox.put(entry('ls_1'));
    await a.outbox.put(entry('ls_2'));
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(a.counted).toEqual([]);
    expect(b.counted).toEqual([]);
    expect(await a.store.outbox.counts()).toEqual({ undelivered: 2, setAside: 0 });
  });
});
