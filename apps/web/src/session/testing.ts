// What a coordinator's public reads answer, for tests of the page's grids: documents the protocol's schemas accept.
import { API, type ListedProject, type WellKnown } from '@bricolage/protocol';

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
