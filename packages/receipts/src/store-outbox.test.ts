// The store's outbox against the runtime's Outbox contract, on fake-indexeddb: the same suite as MemoryOutbox's; and
// what the store's outbox adds to it (`counts`).
import 'fake-indexeddb/auto';
import { describeOutbox, resultFor } from '@bricolage/runtime/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { VolunteerStore } from './store';

const opened: VolunteerStore[] = [];
let databases = 0;

describeOutbox('VolunteerStore.outbox', async () => {
  const store = await VolunteerStore.open(`bricolage outbox contract ${++databases}`);
  opened.push(store);
  return store.outbox;
});

afterAll(() => {
  for (const store of opened) store.close();
});

describe('VolunteerStore.outbox.counts', () => {
  it('counts the results to deliver and those set aside, in one read, as they move between them', async () => {
    const store = await VolunteerStore.open(`bricolage outbox counts ${++databases}`);
    opened.push(store);
    const { outbox } = store;
    expect(await outbox.counts()).toEqual({ undelivered: 0, setAside: 0 });
    await outbox.putMany(['ls_1', 'ls_2', 'ls_3'].map((id, i) => ({ id, result: resultFor(id), createdAt: i })));
    await outbox.setAside('ls_2', { code: 'internal', message: 'internal error' }, 9);
    expect(await outbox.counts()).toEqual({ undelivered: 2, setAside: 1 });
    await outbox.retryAside();
    expect(await outbox.counts()).toEqual({ undelivered: 3, setAside: 0 });
  });
});
