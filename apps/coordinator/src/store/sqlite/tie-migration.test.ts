// A data directory from before a key could be leased a unit it gave back (replica-rows.ts TIES_KEY) opens with every
// replica kept, ids and all, the table's UNIQUE (wu, volunteer) narrowed to the replicas that tie a key to a unit
// (all but those given back), and the per-job replica tallies still kept by their triggers.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const TIE = MIGRATIONS.findIndex((m) => m.includes('replicas_tie'));

describe('the replica tie migration', () => {
  const file = useSqliteFile('tie');

  it('keeps every replica and its id, and holds one tied replica per key and unit, those given back aside', async () => {
    const db = file.atVersion(TIE);
    db.prepare(
      "INSERT INTO work_units (id, job, state, input_hash, quorum, need) VALUES (1, 'job_a', 'in_progress', 'h', 2, 1)",
    ).run();
    const replica = db.prepare(
      "INSERT INTO replicas (id, wu, job, volunteer, state, leased_at, deadline, paused_ms) VALUES (?, 1, 'job_a', ?, ?, 5, 9, ?)",
    );
    replica.run(7, 'gave-back', 'released', 0);
    replica.run(12, 'answered', 'returned', 3);
    db.close();

    await file.openStore().close();
    const migrated = new Database(file.path);
    try {
      expect(migrated.prepare('SELECT id, volunteer, state, paused_ms FROM replicas ORDER BY id').all()).toEqual([
        { id: 7, volunteer: 'gave-back', state: 'released', paused_ms: 0 },
        { id: 12, volunteer: 'answered', state: 'returned', paused_ms: 3 },
      ]);
      const insert = migrated.prepare(
        "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline) VALUES (1, 'job_a', ?, ?, 10, 20)",
      );
      // The key that gave its lease back may hold a new one; the key that answered may not, nor one twice.
      expect(Number(insert.run('gave-back', 'leased').lastInsertRowid)).toBe(13);
      expect(() => insert.run('answered', 'leased')).toThrow(/UNIQUE/);
      expect(() => insert.run('gave-back', 'leased')).toThrow(/UNIQUE/);
      // A lease that ran out still ties its key.
      migrated.prepare("UPDATE replicas SET state = 'expired' WHERE id = 13").run();
      expect(() => insert.run('gave-back', 'leased')).toThrow(/UNIQUE/);
      // The triggers came back with the table: the new lease is counted, and so is its expiry.
      expect(
        migrated.prepare("SELECT state, n FROM job_replica_states WHERE job = 'job_a' AND n > 0 ORDER BY state").all(),
      ).toEqual([
        { state: 'expired', n: 1 },
        { state: 'released', n: 1 },
        { state: 'returned', n: 1 },
      ]);
      expect(migrated.prepare("SELECT code, n FROM job_failures WHERE job = 'job_a'").all()).toEqual([
        { code: 'lease_expired', n: 1 },
      ]);
    } finally {
      migrated.close();
    }
  });
});
