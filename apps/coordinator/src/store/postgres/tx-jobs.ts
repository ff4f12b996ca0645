import type { JobId, JobState, ProjectId, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import type { FailureRow, JobDelta, JobRecord, JobTotals, StoredWorkUnitState } from '../records';
import type { BatchSummary, StagedWorkUnit, UploadKey } from '../store';
import type { JobRows, UploadRows } from '../persistence';
import { BARS_KEY, LATEST } from '../replica-rows';
import type { PgQueries } from './queries';

export const jobRows = (db: PgQueries): JobRows & UploadRows => {
  const dropBatch = async (batch: string): Promise<void> => {
    await db.q("DELETE FROM work_units WHERE batch = $1 AND state = 'staged'", [batch]);
    await db.q('DELETE FROM staged_blobs WHERE batch = $1', [batch]);
    await db.q('DELETE FROM upload_batches WHERE batch = $1', [batch]);
  };

  return {
    async insertJob(job: JobRecord): Promise<void> {
      await db.q('INSERT INTO jobs (id, project, state, definition, created_at) VALUES ($1, $2, $3, $4, $5)', [
        job.id,
        job.project,
        job.state,
        JSON.stringify(job.definition),
        job.createdAt,
      ]);
    },

    async jobState(id: JobId): Promise<{ project: ProjectId; state: JobState } | null> {
      return (
        (await db.one<{ project: ProjectId; state: JobState }>('SELECT project, state FROM jobs WHERE id = $1', [
          id,
        ])) ?? null
      );
    },

    async jobIds(filter: { project?: ProjectId; state?: JobState }): Promise<JobId[]> {
      const rows = await db.q<{ id: JobId }>(
        `SELECT id FROM jobs WHERE ($1::text IS NULL OR project = $1) AND ($2::text IS NULL OR state = $2) ORDER BY seq`,
        [filter.project ?? null, filter.state ?? null],
      );
      return rows.map((r) => r.id);
    },

    async jobDefinition(id: JobId): Promise<{ json: string; createdAt: number } | null> {
      const row = await db.one<{ definition: string; created_at: number }>(
        'SELECT definition, created_at FROM jobs WHERE id = $1',
        [id],
      );
      return row ? { json: row.definition, createdAt: row.created_at } : null;
    },

    async lockJob(id: JobId): Promise<JobState | null> {
      return (
        (await db.one<{ state: JobState }>('SELECT state FROM jobs WHERE id = $1 FOR UPDATE', [id]))?.state ?? null
      );
    },

    async setJobState(id: JobId, state: JobState): Promise<void> {
      await db.q('UPDATE jobs SET state = $1 WHERE id = $2', [state, id]);
    },

    async cancelUnfinished(job: JobId): Promise<void> {
      await db.q(
        "UPDATE work_units SET state = 'cancelled', need = 0 WHERE job = $1 AND state IN ('unsent', 'in_progress')",
        [job],
      );
    },

    async countByState(
      job: JobId,
    ): Promise<{ state: StoredWorkUnitState; n: number; wanting: number; reissued: number }[]> {
      return db.q(
        `SELECT state, COUNT(*)::int AS n, (COUNT(*) FILTER (WHERE need > 0))::int AS wanting,
         COALESCE(SUM(GREATEST(issued - quorum, 0)), 0)::int AS reissued
       FROM work_units WHERE job = $1 GROUP BY state`,
        [job],
      );
    },

    // Counted from the replicas (replicas_job index): Postgres has no counters kept by triggers here yet.
    async replicaStates(job: JobId): Promise<{ state: string; n: number }[]> {
      return db.q('SELECT state, COUNT(*)::int AS n FROM replicas WHERE job = $1 GROUP BY state', [job]);
    },

    async activeVolunteers(job: JobId): Promise<number> {
      return (
        (
          await db.one<{ n: number }>(
            "SELECT COUNT(DISTINCT volunteer)::int AS n FROM replicas WHERE job = $1 AND state = 'leased'",
            [job],
          )
        )?.n ?? 0
      );
    },

    async failures(job: JobId, limit: number): Promise<FailureRow[]> {
      const rows = await db.q<{ code: string; n: number; wu: number; message: string | null }>(
        `SELECT f.code, f.n, r.wu, r.error_message AS message
       FROM (SELECT COALESCE(error_code, 'lease_expired') AS code, COUNT(*)::int AS n, MAX(id) AS latest
             FROM replicas WHERE job = $1 AND state IN ('error', 'expired')
             GROUP BY COALESCE(error_code, 'lease_expired')) f
       JOIN replicas r ON r.id = f.latest ORDER BY f.n DESC, f.code LIMIT $2`,
        [job, limit],
      );
      return rows.map((r) => ({ code: r.code, count: r.n, workUnit: r.wu as WorkUnitNumber, message: r.message }));
    },

    async jobCredit(job: JobId): Promise<number> {
      return (await db.one<{ credit: number }>('SELECT credit FROM jobs WHERE id = $1', [job]))?.credit ?? 0;
    },

    async hasUnfinished(job: JobId): Promise<boolean> {
      return (
        (await db.one("SELECT 1 FROM work_units WHERE job = $1 AND state IN ('unsent', 'in_progress') LIMIT 1", [
          job,
        ])) !== undefined ||
        (await db.one("SELECT 1 FROM work_units WHERE job = $1 AND state = 'validated' AND agree < quorum LIMIT 1", [
          job,
        ])) !== undefined
      );
    },

    async hasFinished(job: JobId): Promise<boolean> {
      return (
        (await db.one(
          "SELECT 1 FROM work_units WHERE job = $1 AND state IN ('validated', 'failed', 'cancelled') LIMIT 1",
          [job],
        )) !== undefined
      );
    },

    async addJobTotals(deltas: readonly JobDelta[]): Promise<JobTotals[]> {
      const totals: JobTotals[] = [];
      // One statement per job, in the order given: the lock order.
      for (const d of deltas) {
        const row = await db.one<{ state: JobState; result_seq: number }>(
          'UPDATE jobs SET credit = credit + $1, result_seq = result_seq + $2 WHERE id = $3 RETURNING state, result_seq',
          [d.credit, d.finished, d.job],
        );
        if (row) totals.push({ job: d.job, state: row.state, resultSeq: row.result_seq });
      }
      return totals;
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
        (await db.one(
          `SELECT 1 FROM work_units w WHERE w.job = $1 AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = $2)
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = $3 AND (${BARS_KEY}
             OR (COALESCE(r.returned_at, r.deadline) > ($4::bigint[])[r.attempt + 1] AND ${LATEST})))
           LIMIT 1`,
          [job, backend, volunteer, endedBy],
        )) !== undefined
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
      const row = await db.one<{ at: number | null }>(
        `SELECT MIN(COALESCE(r.returned_at, r.deadline) + $4::bigint - ($5::bigint[])[r.attempt + 1]) AS at
         FROM replicas r JOIN work_units w ON w.id = r.wu
         WHERE r.volunteer = $2 AND r.job = $1 AND r.state IN ('released', 'expired')
           AND w.state <> 'probe' AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = $3) AND ${LATEST}`,
        [job, volunteer, backend, now, endedBy],
      );
      return row?.at ?? null;
    },

    async stageWorkUnits(
      job: JobId,
      batch: string,
      quorum: number,
      units: readonly StagedWorkUnit[],
      now: number,
    ): Promise<void> {
      await db.q('INSERT INTO upload_batches (batch, job, started_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        batch,
        job,
        now,
      ]);
      const hashes: string[] = [];
      const blobs: Uint8Array[] = [];
      for (const u of units) {
        hashes.push(u.inputHash);
        blobs.push(u.input);
        if (u.expected && u.expectedHash) {
          hashes.push(u.expectedHash);
          blobs.push(u.expected);
        }
      }
      await db.q(
        `INSERT INTO staged_blobs (batch, hash, bytes) SELECT $1, h, b FROM unnest($2::text[], $3::bytea[]) AS s(h, b)
       ON CONFLICT DO NOTHING`,
        [batch, hashes, blobs],
      );
      await db.q(
        `INSERT INTO work_units (job, state, batch, input_hash, expected_hash, tag, quorum, need)
       SELECT $1, 'staged', $2, i, e, t, $3, 0 FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS s(i, e, t, n)
       ORDER BY n`,
        [job, batch, quorum, units.map((u) => u.inputHash), units.map((u) => u.expectedHash), units.map((u) => u.tag)],
      );
    },

    async stagedCount(batch: string): Promise<number> {
      return (
        (
          await db.one<{ n: number }>(
            "SELECT COUNT(*)::int AS n FROM work_units WHERE batch = $1 AND state = 'staged'",
            [batch],
          )
        )?.n ?? 0
      );
    },

    async publishBatch(batch: string, state: 'unsent' | 'cancelled', need: number, now: number): Promise<BatchSummary> {
      const range = (await db.one<{ first: number | null; last: number | null; n: number }>(
        `SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*)::int AS n FROM work_units
       WHERE batch = $1 AND expected_hash IS NULL`,
        [batch],
      )) as { first: number | null; last: number | null; n: number };
      await db.q(
        'INSERT INTO blobs (hash, bytes) SELECT hash, bytes FROM staged_blobs WHERE batch = $1 ON CONFLICT DO NOTHING',
        [batch],
      );
      await db.q('DELETE FROM staged_blobs WHERE batch = $1', [batch]);
      // The batch's units are locked before the job's row: the order in which a submit locks them.
      const probes = (
        await db.q<{ id: number; job: string }>(
          'SELECT id, job FROM work_units WHERE batch = $1 AND expected_hash IS NOT NULL ORDER BY id FOR UPDATE',
          [batch],
        )
      ).map((r) => ({ id: Number(r.id), job: r.job }));
      const known: number[] = [];
      if (probes.length > 0) {
        const placed = await db.one<{ result_seq: number }>(
          'UPDATE jobs SET result_seq = result_seq + $1 WHERE id = $2 RETURNING result_seq',
          [probes.length, probes[0]?.job],
        );
        const first = Number(placed?.result_seq) - probes.length + 1;
        const rows = await db.q<{ id: number }>(
          `UPDATE work_units w SET state = 'probe', batch = NULL, output_hash = w.expected_hash, finished_at = $1,
             result_seq = p.seq
           FROM unnest($2::bigint[], $3::bigint[]) AS p(id, seq) WHERE w.id = p.id RETURNING w.id`,
          [now, probes.map((p) => p.id), probes.map((_, i) => first + i)],
        );
        known.push(...rows.map((r) => Number(r.id)));
      }
      await db.q('UPDATE work_units SET state = $1, need = $2, batch = NULL WHERE batch = $3', [state, need, batch]);
      await db.q('DELETE FROM upload_batches WHERE batch = $1', [batch]);
      return { added: range.n, knownAnswer: known.length, first: range.first, last: range.last };
    },

    dropBatch,

    async dropStagedBatches(before?: number): Promise<number> {
      const batches = await db.q<{ batch: string }>(
        'SELECT batch FROM upload_batches WHERE $1::bigint IS NULL OR started_at < $1',
        [before ?? null],
      );
      for (const { batch } of batches) await dropBatch(batch);
      return batches.length;
    },

    async uploadKey(job: JobId, key: string): Promise<(UploadKey & { summary: BatchSummary }) | null> {
      const row = await db.one<{
        body_hash: string;
        added: number;
        known_answer: number;
        first: number | null;
        last: number | null;
      }>('SELECT * FROM upload_keys WHERE job = $1 AND key = $2', [job, key]);
      return row
        ? {
            key,
            bodyHash: row.body_hash,
            summary: { added: row.added, knownAnswer: row.known_answer, first: row.first, last: row.last },
          }
        : null;
    },

    async insertUploadKey(job: JobId, key: UploadKey, summary: BatchSummary, at: number): Promise<void> {
      await db.q(
        `INSERT INTO upload_keys (job, key, body_hash, added, known_answer, first, last, committed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [job, key.key, key.bodyHash, summary.added, summary.knownAnswer, summary.first, summary.last, at],
      );
    },
  };
};
