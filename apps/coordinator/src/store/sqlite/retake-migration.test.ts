// A data directory from before a key could retake a unit (steps/lease.ts) opens with every replica kept, ids and
// all, each a first one (attempt 0), the table's UNIQUE (wu, volunteer) widened to (wu, volunteer, attempt), and
// the per-job replica tallies still kept by their triggers (attempt-migration.test.ts: from the boolean `retake`).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPLICA_INDEXES, replicaTableAfterExpiry } from '../../testing/replica-table';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const RETAKE = MIGRATIONS.findIndex((m) => m.includes('replicas_with_retake'));

describe('the retake migration', () => {
  const file = useSqliteFile('retake');

  it('keeps every replica and its id, each a first one, and holds one replica per key, unit and attempt', async () => {
    const db = file.atVersion(RETAKE);
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
      expect(
        migrated.prepare('SELECT id, volunteer, state, paused_ms, attempt FROM replicas ORDER BY id').all(),
      ).toEqual([
        { id: 7, volunteer: 'gave-back', state: 'released', paused_ms: 0, attempt: 0 },
        { id: 12, volunteer: 'answered', state: 'returned', paused_ms: 3, attempt: 0 },
      ]);
      const insert = migrated.prepare(
        "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, attempt) VALUES (1, 'job_a', ?, 'leased', 10, 20, ?)",
      );
      expect(Number(insert.run('gave-back', 1).lastInsertRowid)).toBe(13);
      // A second replica of one attempt the schema refuses whatever the state machine asks.
      expect(() => insert.run('gave-back', 1)).toThrow(/UNIQUE/);
      expect(() => insert.run('answered', 0)).toThrow(/UNIQUE/);
      expect(() => insert.run('answered', -1)).toThrow(/CHECK/);
      // The triggers came back with the table: the new lease is counted, and so is its expiry.
      const kept = replicaTableAfterExpiry(migrated, 13, 'job_a');
      expect(kept.states).toEqual([
        { state: 'expired', n: 1 },
        { state: 'released', n: 1 },
        { state: 'returned', n: 1 },
      ]);
      expect(kept.failures).toEqual([{ code: 'lease_expired', n: 1 }]);
      expect(kept.indexes).toEqual(REPLICA_INDEXES);
    } finally {
      migrated.close();
    }
  });
});
