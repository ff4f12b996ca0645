// A data directory from before a re-check that takes a unit back set aside every vote of its old quorum
// (steps/validate.ts withdraw) opens with the votes still valid on units taken back and not validated since set aside,
// so that a silencing takes off only votes a unit's current quorum counted (steps/recheck.ts).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';
import { SqlitePersistence } from './sqlite-persistence';

const SET_ASIDE = MIGRATIONS.findIndex((m) => m.includes('every vote of its old quorum'));

describe('the withdrawn votes migration', () => {
  const file = useSqliteFile('withdrawn-votes');

  it('sets aside the valid replicas of units neither validated nor known answers, and keeps the others', async () => {
    expect(SET_ASIDE).toBeGreaterThan(0);
    const db = file.atVersion(SET_ASIDE);
    const unit = db.prepare(
      "INSERT INTO work_units (id, job, state, input_hash, quorum, need) VALUES (?, 'job_a', ?, 'h', 2, 0)",
    );
    // Taken back (then still in progress, failed, or its job cancelled); validated; a known answer, passed.
    for (const [id, state] of [
      [1, 'in_progress'],
      [2, 'failed'],
      [3, 'cancelled'],
      [4, 'validated'],
      [5, 'probe'],
      [6, 'suspect'],
    ] as const)
      unit.run(id, state);
    const replica = db.prepare(
      "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, output_hash, output) VALUES (?, 'job_a', ?, ?, 0, 0, 'o', ?)",
    );
    replica.run(1, 'agreed', 'valid', null);
    replica.run(1, 'disputer', 'returned', Buffer.from([1]));
    replica.run(2, 'agreed', 'valid', null);
    replica.run(3, 'agreed', 'valid', null);
    replica.run(4, 'canonical', 'valid', Buffer.from([2]));
    replica.run(4, 'agreed', 'valid', null);
    replica.run(5, 'passed', 'valid', null);
    replica.run(6, 'passed', 'valid', null);
    db.close();

    await new SqlitePersistence({ path: file.path }).close();
    const migrated = new Database(file.path, { readonly: true });
    try {
      expect(
        migrated.prepare('SELECT wu, volunteer, state, output FROM replicas ORDER BY wu, volunteer').all(),
      ).toEqual([
        { wu: 1, volunteer: 'agreed', state: 'superseded', output: null },
        { wu: 1, volunteer: 'disputer', state: 'returned', output: Buffer.from([1]) },
        { wu: 2, volunteer: 'agreed', state: 'superseded', output: null },
        { wu: 3, volunteer: 'agreed', state: 'superseded', output: null },
        { wu: 4, volunteer: 'agreed', state: 'valid', output: null },
        { wu: 4, volunteer: 'canonical', state: 'valid', output: Buffer.from([2]) },
        { wu: 5, volunteer: 'passed', state: 'valid', output: null },
        { wu: 6, volunteer: 'passed', state: 'valid', output: null },
      ]);
      // The per-job tallies follow the rows (the triggers ran).
      expect(migrated.prepare('SELECT state, n FROM job_replica_states WHERE n <> 0 ORDER BY state').all()).toEqual([
        { state: 'returned', n: 1 },
        { state: 'superseded', n: 3 },
        { state: 'valid', n: 4 },
      ]);
    } finally {
      migrated.close();
    }
  });
});
