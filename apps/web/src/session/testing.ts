// What a coordinator's public reads answer, for tests of the page's grids: documents the protocol's schemas accept;
// and the page's computing part over a test's model and store.
import { API, type ListedProject, type WellKnown } from '@bricolage/protocol';
import type { VolunteerStore } from '@bricolage/receipts';
import { Computing } from './computing';
import { outboxNews } from './outbox-news';
import type { ViewModel } from './view';

export const wellKnownOf = (publicKey: string, more: Partial<WellKnown> = {}): WellKnown => ({
  name: 'Bricolage coordinator',
  version: 'test',
  publicKey,
  api: API.openapi,
  log: { treeHead: API.treeHead, inclusion: API.inclusion, consistency: API.consistency },
  ...more,
});

export const listedProject = (id: string, name: string): ListedProject =>
  ({ id, name, description: '', owner: '', createdAt: 0, signingKey: null, jobs: [] }) as unknown as ListedProject;

/**
 * The page's computing part over `model` and `store`, for a coordinator at https://grid.example reached by `fetch`;
 * with `database`, the store's name, it hears of other tabs' changes to its outbox, and they of its.
 */
export const computingOn = (model: ViewModel, store: VolunteerStore, fetch = globalThis.fetch, database?: string) =>
  new Computing({
    base: 'https://grid.example',
    project: null,
    model,
    store,
    fetch,
    syncSoon: () => undefined,
    reloadProjects: async () => undefined,
    ...(database ? { news: (heard: () => Promise<unknown>) => outboxNews(database, heard) } : {}),
  });
