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

  it("counts a silenced key's failed known answers, at least one if it has fewer than two strikes, and none for the others", async () => {
    const db = file.atVersion(CAUGHT);
    const add = db.prepare('INSERT INTO volunteers (key, strikes, voting) VALUES (?, ?, ?)');
    add.run('caught', 1, 0);
    add.run('struck-out', 2, 0);
    add.run('voting', 1, 1);
    // Two known answers failed in one batch (both leased before the first silenced it): two strikes, two catches.
    add.run('two-caught', 2, 0);
    const unit = db.prepare(
      "INSERT INTO work_units (id, job, state, input_hash, quorum, need) VALUES (?, 'job_a', ?, 'h', 1, 0)",
    );
    unit.run(1, 'probe');
    unit.run(2, 'probe');
    unit.run(3, 'validated');
    const replica = db.prepare(
      "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline) VALUES (?, 'job_a', ?, ?, 0, 0)",
    );
    replica.run(1, 'two-caught', 'invalid');
    replica.run(2, 'two-caught', 'invalid');
    replica.run(3, 'struck-out', 'invalid');
    replica.run(1, 'voting', 'valid');
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
        { key: 'two-caught', rep_caught: 2 },
        { key: 'voting', rep_caught: 0 },
      ]);
    } finally {
      migrated.close();
    }
  });
});
