// A data directory from before volunteers' standing (issue 17, phase 2) opens with its volunteers' counters
// kept: a key flagged by a known answer no longer votes, and trust earned under the old rule is not carried over.
import type { VolunteerKey } from '@bricolage/protocol';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const STANDING = MIGRATIONS.findIndex((m) => m.includes('rep_record'));

describe('the standing migration', () => {
  const file = useSqliteFile('standing');

  it('keeps the counters, silences flagged keys and starts everyone untrusted', async () => {
    const db = file.atVersion(STANDING);
    const add = db.prepare(
      'INSERT INTO volunteers (key, consecutive_valid, flagged, valid, invalid, credit) VALUES (?, ?, ?, ?, ?, ?)',
    );
    add.run('trusted', 500, 0, 500, 0, 5000);
    add.run('caught', 0, 1, 20, 1, 200);
    db.close();

    const store = file.openStore();
    try {
      expect(await store.volunteerStats('trusted' as VolunteerKey)).toMatchObject({
        valid: 500,
        credit: 5000,
        consecutiveValid: 0,
        flagged: false,
      });
      expect(await store.volunteerStats('caught' as VolunteerKey)).toMatchObject({
        valid: 20,
        invalid: 1,
        flagged: true,
      });
    } finally {
      await store.close();
    }
  });
});
