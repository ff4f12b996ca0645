// A page's grids over fake-indexeddb and the fake runtime (fake-runtime.ts), for the tests of `Grids`: each test file
// still says `vi.mock('@bricolage/runtime', () => import('./fake-runtime'))` itself, as vitest wants it there.
import { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { PublicApi } from '../api';
import { made } from './fake-runtime';
import { gridDatabase } from './grid-address';
import { outboxNews } from './outbox-news';
import type { GridView } from './grid-view';
import { Grids } from './grids';
import { wellKnownOf } from './testing';
import { ViewModel } from './view';

const KEYS: Record<string, string | undefined> = { 'https://b.example': 'b-key', 'https://b2.example': 'b-key' };

export const B = 'https://b.example';
export const listed = (grids: Grids): GridView | undefined => grids.view().grids.find((g) => g.url === B);

/** A page's grids over the home database `home` (its settings as kept), each grid's database open beside it. */
export async function page(home: VolunteerStore): Promise<{ grids: Grids; model: ViewModel; homeDuties: number[] }> {
  const model = new ViewModel();
  model.set({ coordinatorKey: 'home-key', settings: await home.settings() });
  const homeDuties: number[] = [];
  const grids = new Grids({
    home: 'http://localhost:8851/',
    store: home,
    model,
    setHomeDuty: (duty) => homeDuties.push(duty),
    homeVolunteer: async () => ({}) as Volunteer,
    syncHome: async () => undefined,
    onBattery: () => false,
    publicApi: (base) =>
      ({ wellKnown: async () => wellKnownOf(KEYS[base] ?? ''), projects: async () => [] }) as unknown as PublicApi,
    openStore: (name) => VolunteerStore.open(name),
    outboxNews,
  });
  await grids.boot();
  return { grids, model, homeDuties };
}

/** Empties grid B's database (one name for every test: it is the grid's URL) and the fake runtime's records. */
export async function fresh(): Promise<void> {
  const { outbox } = await VolunteerStore.open(gridDatabase(B));
  await outbox.retryAside();
  await outbox.remove((await outbox.peek(100)).map((e) => e.id));
  made.listeners.clear();
  made.starts = 0;
  made.stops = 0;
  made.flushes = 0;
  made.retries = 0;
  made.closes = 0;
  made.options.length = 0;
  made.stopping = Promise.resolve();
}

/** Results computed for the grid at `url`, kept in its outbox. */
export async function computed(url: string, ...leases: string[]): Promise<VolunteerStore> {
  const store = await VolunteerStore.open(gridDatabase(url));
  const result = (lease: string) => ({ kind: 'error', lease, message: 'x', backend: 'wasm', elapsedMs: 1 }) as never;
  await store.outbox.putMany(leases.map((id) => ({ id, result: result(id), createdAt: 1 })));
  return store;
}

/** Results computed for the grid at `url` that it failed on again and again: set aside in its outbox. */
export async function setAside(url: string, ...leases: string[]): Promise<VolunteerStore> {
  const store = await computed(url, ...leases);
  for (const lease of leases) await store.outbox.setAside(lease, { code: 'internal', message: 'internal error' }, 2);
  return store;
}

/** The grid took `leases`: they leave its outbox, and its volunteer says so as the runtime does. */
export async function delivered(store: VolunteerStore, ...leases: string[]): Promise<void> {
  await store.outbox.remove(leases);
  const event = { type: 'submitted', leases, accepted: leases.length, repeated: 0 };
  for (const listener of made.listeners.get('submitted') ?? []) listener(event);
}

/** What the runtime's volunteer says of a result it set aside (after it moved it so in the outbox). */
export function saidSetAside(lease: string): void {
  for (const listener of made.listeners.get('set-aside') ?? []) listener({ type: 'set-aside', lease });
}
