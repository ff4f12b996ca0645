import { API } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { type PublicApi, publicApi } from '../api';
import { checkedApi } from './checked-api';
import { listedProject, wellKnownOf } from './testing';

/** A coordinator whose public reads answer `known` and `projects`, whatever they are. */
const answering = (known: unknown, projects: unknown): PublicApi =>
  ({ wellKnown: async () => known, projects: async () => projects }) as unknown as PublicApi;

describe("another grid's public answers", () => {
  it('pass through when they are what the protocol says', async () => {
    const known = wellKnownOf('grid-key', { honouredLogs: ['home-key'] });
    const projects = [listedProject('prj_aaaaaaaaaaaaaaaa', 'One')];
    const api = checkedApi(answering(known, projects));
    expect(await api.wellKnown()).toEqual(known);
    expect(await api.projects()).toEqual(projects);
  });

  it('are refused, saying which, when they are not: no field of them is read', async () => {
    const api = checkedApi(
      answering({ ...wellKnownOf('grid-key'), honouredLogs: 'home-key' }, [
        { ...listedProject('prj_aaaaaaaaaaaaaaaa', 'One'), jobs: null },
      ]),
    );
    await expect(api.wellKnown()).rejects.toThrow(`its answer to ${API.wellKnown} is not what the protocol says`);
    await expect(api.projects()).rejects.toThrow(`its answer to ${API.projects} is not what the protocol says`);
    // A web page's JSON, not a coordinator's.
    await expect(checkedApi(answering({ hello: 'world' }, undefined)).wellKnown()).rejects.toThrow('publicKey');
    await expect(checkedApi(answering({}, undefined)).projects()).rejects.toThrow(API.projects);
  });

  it("are refused when another grid answers its project list with null, as any other answer not the protocol's", async () => {
    const api = checkedApi(publicApi('https://b.example', (async () => Response.json(null)) as typeof fetch));
    await expect(api.projects()).rejects.toThrow(`its answer to ${API.projects} is not what the protocol says`);
  });
});
