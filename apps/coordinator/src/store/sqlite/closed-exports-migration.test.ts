// A data directory from before export requests could be settled opens with its recorded exports kept: settling one
// of them answers its export; settling a request with none closes it, and the export sent under it after is refused.
import type { VolunteerKey } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const CLOSED = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE closed_export_requests'));
const KEY = 'volunteer-key' as VolunteerKey;

describe('the closed export requests migration', () => {
  const file = useSqliteFile('closed-exports');

  it('keeps the recorded exports, and closes a request settled with none, refusing its export after', async () => {
    expect(CLOSED).toBeGreaterThan(0);
    const db = file.atVersion(CLOSED);
    db.prepare(
      "INSERT INTO export_requests (volunteer, request_id, to_key, amount, idx, at) VALUES (?, 'made-before-0123456789', 'grid-b', 5, 7, 1)",
    ).run(KEY);
    db.close();

    const store = file.openStore();
    try {
      expect(await store.settleExportRequest(KEY, 'made-before-0123456789', 10)).toEqual({
        kind: 'exported',
        index: 7,
      });
      expect(await store.settleExportRequest(KEY, 'never-made-0123456789', 10)).toEqual({ kind: 'closed' });
      expect(
        await store.exportCredit(KEY, { to: 'grid-b', amount: 1, requestId: 'never-made-0123456789' }, ['grid-b'], 11),
      ).toMatchObject({
        ok: false,
        error: { code: 'conflict', message: expect.stringMatching(/settled as not made/) },
      });
    } finally {
      await store.close();
    }
  });
});
