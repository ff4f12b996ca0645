import type { VolunteerStore } from '@bricolage/receipts';
import { describe, expect, it } from 'vitest';
import type { PublicApi } from '../api';
import { Grid, gridDatabase, gridOrigin } from './grid';

describe('gridOrigin', () => {
  it('keeps the origin of an http(s) address, whatever follows it', () => {
    expect(gridOrigin(' https://grid.example.org/some/path?x=1 ')).toBe('https://grid.example.org');
    expect(gridOrigin('http://127.0.0.1:18799/')).toBe('http://127.0.0.1:18799');
  });

  it('refuses what is not an http(s) address', () => {
    for (const text of ['', 'grid.example.org', 'ftp://grid.example.org', 'javascript:alert(1)', 'data:,x'])
      expect(gridOrigin(text), text).toBeNull();
  });

  it('names one database per origin, so that grids never share an outbox', () => {
    expect(gridDatabase('https://a.example')).not.toBe(gridDatabase('https://b.example'));
    expect(gridDatabase('https://a.example')).not.toBe('bricolage');
  });
});

describe('Grid', () => {
  it('started before its database is open, waits for it instead of failing', async () => {
    let release: (store: VolunteerStore) => void = () => undefined;
    const offline = async () => {
      throw new Error('offline');
    };
    const grid = new Grid({
      deps: {
        publicApi: () => ({ wellKnown: offline, projects: offline }) as unknown as PublicApi,
        openStore: () => new Promise<VolunteerStore>((resolve) => (release = resolve)),
      },
      setting: { url: 'https://other.example', key: 'k', share: 100, servedProjects: null },
      // Where making its volunteer begins: reached only once the database is open.
      identity: async () => {
        throw new Error('asked for the key');
      },
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    const opening = grid.open();
    const started = grid.start().then(
      () => 'started',
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await Promise.race([started, Promise.resolve('waiting')])).toBe('waiting');
    release({ closed: false, totals: async () => [], close: () => undefined } as unknown as VolunteerStore);
    await opening;
    expect(await started).toBe('asked for the key');
    await grid.close();
  });
});
