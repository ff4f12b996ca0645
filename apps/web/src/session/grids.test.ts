import type { VolunteerStore } from '@bricolage/receipts';
import { afterEach, describe, expect, it } from 'vitest';
import type { PublicApi } from '../api';
import { Grids } from './grids';
import { ViewModel } from './view';

/** Coordinators by origin, each publishing its key; the page came from http://localhost:8851. */
const KEYS: Record<string, string> = {
  'http://localhost:8851': 'home-key',
  'http://127.0.0.1:8851': 'home-key',
  'https://b.example': 'b-key',
  'https://b2.example': 'b-key',
};

function grids(): { grids: Grids; model: ViewModel } {
  const model = new ViewModel();
  model.set({ coordinatorKey: 'home-key' });
  const store = {
    closed: false,
    saveSettings: async () => undefined,
    totals: async () => [],
    heldTotals: async () => ({ receipts: 0, credit: 0, debits: 0, spent: 0, failed: 0 }),
    close: () => undefined,
  } as unknown as VolunteerStore;
  const grids = new Grids({
    home: 'http://localhost:8851/',
    store,
    model,
    setHomeDuty: () => undefined,
    homeVolunteer: async () => {
      throw new Error('no volunteer in these tests');
    },
    syncHome: async () => undefined,
    onBattery: () => false,
    publicApi: (base) =>
      ({
        wellKnown: async () => ({ publicKey: KEYS[base] }),
        projects: async () => [],
      }) as unknown as PublicApi,
    openStore: async () => store,
  });
  return { grids, model };
}

describe('Grids.add', () => {
  let opened: Grids | null = null;
  afterEach(async () => {
    await opened?.close();
    opened = null;
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
