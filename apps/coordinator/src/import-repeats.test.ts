// An export named twice in one import, handed to the store itself (http/imports.ts refuses it before, with its own
// message): credited at most once on both backends. Postgres claims a request's exports in one statement and matched
// the claimed rows back by their log and index, so both copies counted as claimed and the export was credited twice
// (found by a review); SQLite refused it, naming position -1. The step now refuses the repeat, at its position.
import type { ExportBody, VolunteerKey } from '@bricolage/protocol';
import { expect, it } from 'vitest';
import { ManualClock } from './clock';
import { describeBackends } from './testing/backends';
import { useGrid } from './testing/grid-fixture';
import { SimVolunteer } from './testing/sim-volunteer';

const OTHER = `${'b'.repeat(42)}A`;

describeBackends('an export named twice in one import', (backend) => {
  const grid = useGrid(backend, {
    name: 'import-repeats',
    start: () => ({ clock: new ManualClock(), config: { honouredLogs: [OTHER] } }),
  });

  const exportOf = (v: SimVolunteer, index: number, debit: number): ExportBody => ({
    v: 1,
    type: 'export',
    log: OTHER,
    index,
    volunteer: v.key as VolunteerKey,
    to: grid.coordinator.publicKey,
    debit,
    at: 1,
  });

  it('is refused whole at the repeat, crediting nothing; the exports once each are credited after', async () => {
    const v = await SimVolunteer.create(grid.coordinator.url);
    const [x, y] = [exportOf(v, 7, 25), exportOf(v, 8, 5)];
    const store = grid.coordinator.store;
    expect(await store.importCredits(v.key as VolunteerKey, [x, x], Date.now())).toEqual({
      ok: false,
      error: { code: 'conflict', message: 'receipts[1] repeats receipts[0]', index: 1 },
    });
    expect(await store.importCredits(v.key as VolunteerKey, [x, y, x], Date.now())).toMatchObject({
      ok: false,
      error: { code: 'conflict', index: 2 },
    });
    expect((await v.stats()).credit).toBe(0);
    expect(await store.importCredits(v.key as VolunteerKey, [x, y], Date.now())).toEqual({
      ok: true,
      value: { accepted: 2, credit: 30 },
    });
    expect(await store.importCredits(v.key as VolunteerKey, [y], Date.now())).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: 'receipts[0] was already credited here', index: 0 },
    });
    expect((await v.stats()).credit).toBe(30);
  });
});
