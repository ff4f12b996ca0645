import type { VolunteerStore } from '@bricolage/receipts';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks one thing at a time: a poll that outlasts the interval is not joined by the next ones', async () => {
    vi.useFakeTimers();
    let asked = 0;
    let answer: () => void = () => undefined;
    // A grid that answers slowly: each question waits until the test lets it through.
    const slow = () => {
      asked++;
      return new Promise<never>((_, reject) => {
        answer = () => reject(new Error('offline'));
      });
    };
    const grid = new Grid({
      deps: {
        publicApi: () => ({ wellKnown: slow, projects: slow }) as unknown as PublicApi,
        openStore: async () =>
          ({ closed: false, totals: async () => [], close: () => undefined }) as unknown as VolunteerStore,
      },
      setting: { url: 'https://slow.example', key: 'k', share: 100, servedProjects: null },
      identity: async () => {
        throw new Error('not started');
      },
      pauseWhenHidden: () => false,
      onChange: () => undefined,
    });
    await grid.open();
    expect(asked).toBe(2); // its public state on opening: the key and the projects
    answer();
    // Three intervals pass while the first poll's questions wait: only that poll asked.
    await vi.advanceTimersByTimeAsync(3 * 3_000 + 100);
    expect(asked).toBe(4);
    answer();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(asked).toBe(6);
    await grid.close();
  });
});
