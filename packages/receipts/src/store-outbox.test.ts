// The store's outbox against the runtime's Outbox contract, on fake-indexeddb: the same suite as MemoryOutbox's.
import 'fake-indexeddb/auto';
import { describeOutbox } from '@bricolage/runtime/testing';
import { afterAll } from 'vitest';
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
