// What a migration that rebuilds the `replicas` table must bring back with it, read the same way by each such test:
// the triggers that keep the per-job tallies (checked by expiring one replica) and the table's indexes.
import type Database from 'better-sqlite3';

/** The indexes the current schema gives `replicas` (SQLite's own autoindexes left out). */
export const REPLICA_INDEXES = [
  'replicas_job_leased',
  'replicas_leased',
  'replicas_retakeable',
  'replicas_volunteer_valid',
] as const;

export interface ReplicaTableAfterExpiry {
  /** `job_replica_states` rows of the job with a count, by state. */
  readonly states: unknown[];
  /** `job_failures` rows of the job. */
  readonly failures: unknown[];
  /** The names of the table's indexes, sorted. */
  readonly indexes: string[];
}

/** Expires replica `id` (its trigger counts the expiry) and reads the job's tallies and the table's indexes. */
export function replicaTableAfterExpiry(db: Database.Database, id: number, job: string): ReplicaTableAfterExpiry {
  db.prepare("UPDATE replicas SET state = 'expired' WHERE id = ?").run(id);
  return {
    states: db.prepare('SELECT state, n FROM job_replica_states WHERE job = ? AND n > 0 ORDER BY state').all(job),
    failures: db.prepare('SELECT code, n FROM job_failures WHERE job = ?').all(job),
    indexes: db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'replicas' AND sql IS NOT NULL ORDER BY name",
      )
      .pluck()
      .all() as string[],
  };
}
