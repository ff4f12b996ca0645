// A data directory from when a key could retake a unit once (a boolean `retake`) opens with every replica kept, ids
// and all, each retake its key's attempt 1 and every other replica attempt 0, the table's UNIQUE (wu, volunteer,
// retake) become (wu, volunteer, attempt), and its indexes and the per-job tallies' triggers kept.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPLICA_INDEXES, replicaTableAfterExpiry } from '../../testing/replica-table';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const ATTEMPT = MIGRATIONS.findIndex((m) => m.includes('replicas_with_attempt'));

describe('the attempt migration', () => {
  const file = useSqliteFile('attempt');

  it('makes each retake attempt 1, keeps every replica and its id, and holds one replica per key, unit and attempt', async () => {
    const db = file.atVersion(ATTEMPT);
    db.prepare(
      "INSERT INTO work_units (id, job, state, input_hash, quorum, need) VALUES (1, 'job_a', 'in_progress', 'h', 2, 1)",
    ).run();
    const replica = db.prepare(
      "INSERT INTO replicas (id, wu, job, volunteer, state, leased_at, deadline, returned_at, retake) VALUES (?, 1, 'job_a', ?, ?, 5, 9, ?, ?)",
    );
    replica.run(7, 'lost-twice', 'released', 6, 0);
    replica.run(9, 'lost-twice', 'expired', null, 1);
    replica.run(12, 'answered', 'returned', 8, 0);
    db.close();

    await file.openStore().close();
    const migrated = new Database(file.path);
    try {
      expect(
        migrated.prepare('SELECT id, volunteer, state, returned_at, attempt FROM replicas ORDER BY id').all(),
      ).toEqual([
        { id: 7, volunteer: 'lost-twice', state: 'released', returned_at: 6, attempt: 0 },
        { id: 9, volunteer: 'lost-twice', state: 'expired', returned_at: null, attempt: 1 },
        { id: 12, volunteer: 'answered', state: 'returned', returned_at: 8, attempt: 0 },
      ]);
      const insert = migrated.prepare(
        "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, attempt) VALUES (1, 'job_a', ?, 'leased', 10, 20, ?)",
      );
      // A second retake, which the boolean could not hold; a second of one attempt the schema refuses.
      expect(Number(insert.run('lost-twice', 2).lastInsertRowid)).toBe(13);
      expect(() => insert.run('lost-twice', 2)).toThrow(/UNIQUE/);
      expect(() => insert.run('lost-twice', 1)).toThrow(/UNIQUE/);
      expect(() => insert.run('answered', -1)).toThrow(/CHECK/);
      // The triggers came back with the table: the new lease is counted, and so is its expiry.
      const kept = replicaTableAfterExpiry(migrated, 13, 'job_a');
      expect(kept.states).toEqual([
        { state: 'expired', n: 2 },
        { state: 'released', n: 1 },
        { state: 'returned', n: 1 },
      ]);
      expect(kept.failures).toEqual([{ code: 'lease_expired', n: 1 }]);
      expect(kept.indexes).toEqual(REPLICA_INDEXES);
      // The retakeable index now holds every unanswered replica, retakes too: a key's latest of a unit is read there.
      expect(
        migrated.prepare("SELECT sql FROM sqlite_master WHERE name = 'replicas_retakeable'").pluck().get(),
      ).not.toMatch(/retake\b|attempt/);
    } finally {
      migrated.close();
    }
  });
});
