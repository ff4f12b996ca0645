import type { JobId, JobState, ProjectId, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import type { FailureRow, JobDelta, JobRecord, JobTotals, StoredWorkUnitState } from '../records';
import type { BatchSummary, StagedWorkUnit, UploadKey } from '../store';
import { buffer } from '../record-rows';
import type { UploadKeyRow } from './sqlite-rows';
import { chunks, type SqliteStatements } from './statements';
import type { JobRows, UploadRows } from '../persistence';
import { BARS_KEY, LATEST } from '../replica-rows';

/** Job and upload rows; `dropStagedSync` also runs outside any transaction, when the store opens. */
export const jobRows = (db: SqliteStatements): JobRows & UploadRows & { dropStagedSync(): number } => {
  const dropBatch = async (batch: string): Promise<void> => {
    db.statement("DELETE FROM work_units WHERE batch = ? AND state = 'staged'").run(batch);
    db.statement('DELETE FROM staged_blobs WHERE batch = ?').run(batch);
    db.statement('DELETE FROM upload_batches WHERE batch = ?').run(batch);
  };

  /** Every staged row, whatever its age (the data directory's owner, at start). */
  const dropStagedSync = (): number => {
    const n = db.statement('SELECT COUNT(*) FROM upload_batches').pluck().get() as number;
    db.statement("DELETE FROM work_units WHERE state = 'staged'").run();
    db.statement('DELETE FROM staged_blobs').run();
    db.statement('DELETE FROM upload_batches').run();
    return n;
  };

  return {
    async insertJob(job: JobRecord): Promise<void> {
      db.statement('INSERT INTO jobs (id, project, state, definition, created_at) VALUES (?, ?, ?, ?, ?)').run(
        job.id,
        job.project,
        job.state,
        JSON.stringify(job.definition),
        job.createdAt,
      );
    },

    async jobState(id: JobId): Promise<{ project: ProjectId; state: JobState } | null> {
      return (
        (db.statement('SELECT project, state FROM jobs WHERE id = ?').get(id) as
          | { project: ProjectId; state: JobState }
          | undefined) ?? null
      );
    },

    async jobIds(filter: { project?: ProjectId; state?: JobState }): Promise<JobId[]> {
      if (filter.project && filter.state)
        return db
          .statement('SELECT id FROM jobs WHERE project = ? AND state = ? ORDER BY seq')
          .pluck()
          .all(filter.project, filter.state) as JobId[];
      if (filter.project)
        return db
          .statement('SELECT id FROM jobs WHERE project = ? ORDER BY seq')
          .pluck()
          .all(filter.project) as JobId[];
      if (filter.state)
        return db.statement('SELECT id FROM jobs WHERE state = ? ORDER BY seq').pluck().all(filter.state) as JobId[];
      return db.statement('SELECT id FROM jobs ORDER BY seq').pluck().all() as JobId[];
    },

    async jobDefinition(id: JobId): Promise<{ json: string; createdAt: number } | null> {
      const row = db.statement('SELECT definition, created_at FROM jobs WHERE id = ?').get(id) as
        | { definition: string; created_at: number }
        | undefined;
      return row ? { json: row.definition, createdAt: row.created_at } : null;
    },

    async lockJob(id: JobId): Promise<JobState | null> {
      return (db.statement('SELECT state FROM jobs WHERE id = ?').pluck().get(id) as JobState | undefined) ?? null;
    },

    async setJobState(id: JobId, state: JobState): Promise<void> {
      db.statement('UPDATE jobs SET state = ? WHERE id = ?').run(state, id);
    },

    async cancelUnfinished(job: JobId): Promise<void> {
      db.statement(
        "UPDATE work_units SET state = 'cancelled', need = 0 WHERE job = ? AND state IN ('unsent', 'in_progress')",
      ).run(job);
    },

    async countByState(
      job: JobId,
    ): Promise<{ state: StoredWorkUnitState; n: number; wanting: number; reissued: number }[]> {
      return db
        .statement(
          `SELECT state, COUNT(*) AS n, SUM(need > 0) AS wanting, SUM(MAX(issued - quorum, 0)) AS reissued
       FROM work_units WHERE job = ? GROUP BY state`,
        )
        .all(job) as { state: StoredWorkUnitState; n: number; wanting: number; reissued: number }[];
    },

    // job_replica_states and job_failures are kept by triggers (schema.ts): a few rows per job.
    async replicaStates(job: JobId): Promise<{ state: string; n: number }[]> {
      return db.statement('SELECT state, n FROM job_replica_states WHERE job = ?').all(job) as {
        state: string;
        n: number;
      }[];
    },

    async activeVolunteers(job: JobId): Promise<number> {
      return db
        .statement("SELECT COUNT(DISTINCT volunteer) FROM replicas WHERE job = ? AND state = 'leased'")
        .pluck()
        .get(job) as number;
    },

    async failures(job: JobId, limit: number): Promise<FailureRow[]> {
      const rows = db
        .statement(
          `SELECT f.code, f.n, r.wu, r.error_message AS message FROM job_failures f JOIN replicas r ON r.id = f.latest
       WHERE f.job = ? ORDER BY f.n DESC, f.code LIMIT ?`,
        )
        .all(job, limit) as { code: string; n: number; wu: number; message: string | null }[];
      return rows.map((r) => ({ code: r.code, count: r.n, workUnit: r.wu as WorkUnitNumber, message: r.message }));
    },

    async jobCredit(job: JobId): Promise<number> {
      return (db.statement('SELECT credit FROM jobs WHERE id = ?').pluck().get(job) as number | undefined) ?? 0;
    },

    async hasUnfinished(job: JobId): Promise<boolean> {
      return (
        db
          .statement("SELECT 1 FROM work_units WHERE job = ? AND state IN ('unsent', 'in_progress') LIMIT 1")
          .get(job) !== undefined ||
        db
          .statement("SELECT 1 FROM work_units WHERE job = ? AND state = 'validated' AND agree < quorum LIMIT 1")
          .get(job) !== undefined
      );
    },

    async hasFinished(job: JobId): Promise<boolean> {
      return (
        db
          .statement("SELECT 1 FROM work_units WHERE job = ? AND state IN ('validated', 'failed', 'cancelled') LIMIT 1")
          .get(job) !== undefined
      );
    },

    async addJobTotals(deltas: readonly JobDelta[]): Promise<JobTotals[]> {
      const add = db.statement(
        'UPDATE jobs SET credit = credit + ?, result_seq = result_seq + ? WHERE id = ? RETURNING state, result_seq',
      );
      return deltas.map((d) => {
        const row = add.get(d.credit, d.finished, d.job) as { state: JobState; result_seq: number };
        return { job: d.job, state: row.state, resultSeq: row.result_seq };
      });
    },

    async hasWorkFor(
      job: JobId,
      volunteer: VolunteerKey,
      backend: string,
      endedBy: readonly number[],
    ): Promise<boolean> {
      // As a lease reads it (tx-leases.ts leaseWindow, retakeWindow): a unit the key never held, or one whose latest
      // replica of the key's came back with no answer by `endedBy[its attempt]`.
      return (
        db
          .statement(
            `SELECT 1 FROM work_units w WHERE w.job = ? AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = ?)
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ? AND (${BARS_KEY}
             OR (COALESCE(r.returned_at, r.deadline) > json_extract(?, '$[' || r.attempt || ']') AND ${LATEST})))
           LIMIT 1`,
          )
          .get(job, backend, volunteer, JSON.stringify(endedBy)) !== undefined
      );
    },

    async retakeOpensAt(
      job: JobId,
      volunteer: VolunteerKey,
      backend: string,
      now: number,
      endedBy: readonly number[],
    ): Promise<number | null> {
      // A unit opens to the key once its latest replica's end is `now - endedBy[attempt]` (the wait) behind.
      return (
        (db
          .statement(
            `SELECT MIN(COALESCE(r.returned_at, r.deadline) + ? - json_extract(?, '$[' || r.attempt || ']'))
           FROM replicas r INDEXED BY replicas_retakeable JOIN work_units w ON w.id = r.wu
           WHERE r.volunteer = ? AND r.job = ? AND r.state IN ('released', 'expired')
             AND w.state <> 'probe' AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = ?) AND ${LATEST}`,
          )
          .pluck()
          .get(now, JSON.stringify(endedBy), volunteer, job, backend) as number | null) ?? null
      );
    },

    async stageWorkUnits(
      job: JobId,
      batch: string,
      quorum: number,
      units: readonly StagedWorkUnit[],
      now: number,
    ): Promise<void> {
      db.statement('INSERT OR IGNORE INTO upload_batches (batch, job, started_at) VALUES (?, ?, ?)').run(
        batch,
        job,
        now,
      );
      const blob = db.statement('INSERT OR IGNORE INTO staged_blobs (batch, hash, bytes) VALUES (?, ?, ?)');
      for (const u of units) {
        blob.run(batch, u.inputHash, buffer(u.input));
        if (u.expected && u.expectedHash) blob.run(batch, u.expectedHash, buffer(u.expected));
      }
      for (const chunk of chunks(units))
        db.sized(
          'stage',
          chunk.length,
          'INSERT INTO work_units (job, state, batch, input_hash, expected_hash, tag, quorum, need) VALUES $ROWS',
          "(?, 'staged', ?, ?, ?, ?, ?, 0)",
        ).run(...chunk.flatMap((u) => [job, batch, u.inputHash, u.expectedHash, u.tag, quorum]));
    },

    async stagedCount(batch: string): Promise<number> {
      return db
        .statement("SELECT COUNT(*) FROM work_units WHERE batch = ? AND state = 'staged'")
        .pluck()
        .get(batch) as number;
    },

    async publishBatch(batch: string, state: 'unsent' | 'cancelled', need: number, now: number): Promise<BatchSummary> {
      const range = db
        .statement(
          'SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n FROM work_units WHERE batch = ? AND expected_hash IS NULL',
        )
        .get(batch) as { first: number | null; last: number | null; n: number };
      db.statement(
        'INSERT OR IGNORE INTO blobs (hash, bytes) SELECT hash, bytes FROM staged_blobs WHERE batch = ?',
      ).run(batch);
      db.statement('DELETE FROM staged_blobs WHERE batch = ?').run(batch);
      const probes = db
        .statement('SELECT id FROM work_units WHERE batch = ? AND expected_hash IS NOT NULL ORDER BY id')
        .pluck()
        .all(batch) as number[];
      let known = 0;
      if (probes.length > 0) {
        const { job } = db.statement('SELECT job FROM upload_batches WHERE batch = ?').get(batch) as { job: string };
        const last = db
          .statement('UPDATE jobs SET result_seq = result_seq + ? WHERE id = ? RETURNING result_seq')
          .pluck()
          .get(probes.length, job) as number;
        const finish = db.statement(
          `UPDATE work_units SET state = 'probe', batch = NULL, output_hash = expected_hash, finished_at = ?,
             result_seq = ? WHERE id = ?`,
        );
        for (const id of probes) known += finish.run(now, last - probes.length + known + 1, id).changes;
      }
      db.statement('UPDATE work_units SET state = ?, need = ?, batch = NULL WHERE batch = ?').run(state, need, batch);
      db.statement('DELETE FROM upload_batches WHERE batch = ?').run(batch);
      return { added: range.n, knownAnswer: known, first: range.first, last: range.last };
    },

    dropBatch,

    async dropStagedBatches(before?: number): Promise<number> {
      if (before === undefined) return dropStagedSync();
      const batches = db
        .statement('SELECT batch FROM upload_batches WHERE started_at < ?')
        .pluck()
        .all(before) as string[];
      for (const batch of batches) await dropBatch(batch);
      return batches.length;
    },

    dropStagedSync,

    async uploadKey(job: JobId, key: string): Promise<(UploadKey & { summary: BatchSummary }) | null> {
      const row = db.statement('SELECT * FROM upload_keys WHERE job = ? AND key = ?').get(job, key) as
        | UploadKeyRow
        | undefined;
      return row
        ? {
            key,
            bodyHash: row.body_hash,
            summary: { added: row.added, knownAnswer: row.known_answer, first: row.first, last: row.last },
          }
        : null;
    },

    async insertUploadKey(job: JobId, key: UploadKey, summary: BatchSummary, at: number): Promise<void> {
      db.statement(
        `INSERT INTO upload_keys (job, key, body_hash, added, known_answer, first, last, committed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(job, key.key, key.bodyHash, summary.added, summary.knownAnswer, summary.first, summary.last, at);
    },
  };
};
