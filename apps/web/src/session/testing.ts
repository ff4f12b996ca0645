// What a coordinator's public reads answer, for tests of the page's grids: documents the protocol's schemas accept;
// the page's computing part over a test's model and store; and its peers for a test's volunteer, offline.
import { API, generateSigningKeyPair, type ListedProject, type WellKnown } from '@bricolage/protocol';
import type { VolunteerStore } from '@bricolage/receipts';
import type { Volunteer } from '@bricolage/runtime';
import type { PublicApi } from '../api';
import { Computing } from './computing';
import { outboxNews } from './outbox-news';
import { Peers } from './peers';
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

/** The page's peers for `volunteer`, with no network: the coordinator's address answers nothing. */
export const peersFor = (model: ViewModel, volunteer: Volunteer): Peers =>
  new Peers({
    base: 'http://127.0.0.1:1',
    project: null,
    model,
    api: { treeHead: async () => ({}) } as unknown as PublicApi,
    fetch: (() => Promise.reject(new Error('no network in this test'))) as unknown as typeof fetch,
    volunteer: async () => volunteer,
    identity: async () => {
      const pair = await generateSigningKeyPair();
      return { publicKey: pair.publicKeyText, privateKey: pair.privateKey };
    },
  });
