// A data directory from before suspect known answers opens with each silenced key's known-answer failure counted
// (rules/reputation.ts `caught`), so that a known answer found suspect later gives back only the votes it took.
import type { VolunteerKey } from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const CAUGHT = MIGRATIONS.findIndex((m) => m.includes('rep_caught'));

describe('the known-answer catch migration', () => {
  const file = useSqliteFile('caught');

  it('counts a catch for a key silenced with fewer than two strikes, and none for the others', async () => {
    const db = file.atVersion(CAUGHT);
    const add = db.prepare('INSERT INTO volunteers (key, strikes, voting) VALUES (?, ?, ?)');
    add.run('caught', 1, 0);
    add.run('struck-out', 2, 0);
    add.run('voting', 1, 1);
    db.close();

    const store = file.openStore();
    try {
      expect(await store.volunteerStats('caught' as VolunteerKey)).toMatchObject({ flagged: true });
    } finally {
      await store.close();
    }
    const migrated = new Database(file.path, { readonly: true });
    try {
      const rows = migrated.prepare('SELECT key, rep_caught FROM volunteers ORDER BY key').all();
      expect(rows).toEqual([
        { key: 'caught', rep_caught: 1 },
        { key: 'struck-out', rep_caught: 0 },
        { key: 'voting', rep_caught: 0 },
      ]);
    } finally {
      migrated.close();
    }
  });
});
