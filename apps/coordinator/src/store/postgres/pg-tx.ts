// The row operations of one Postgres transaction (../persistence.ts). A round trip costs far more than a
// row here, so every set is one statement over arrays (unnest), statements are prepared once per connection,
// and rows a step will change are locked as they are read (FOR UPDATE; SKIP LOCKED where another
// coordinator's rows can simply be passed over: leasing, the sweep).
import type {
  Ban,
  JobId,
  JobState,
  LeaseNumber,
  Project,
  ProjectId,
  VolunteerKey,
  WorkUnitNumber,
} from '@bricolage/protocol';
import type { PoolClient, QueryResultRow } from 'pg';
import type { Tx } from '../persistence';
import type {
  FailureRow,
  Candidate,
  JobDelta,
  JobRecord,
  JobTotals,
  LogHead,
  MerkleNode,
  NewReceipt,
  NewReplica,
  ReplicaChange,
  ReplicaInContext,
  ReplicaRecord,
  ReturnedRow,
  StoredWorkUnitState,
  ImportClaim,
  VolunteerDelta,
  VolunteerRecord,
  WorkUnitChange,
} from '../records';
import type { BatchSummary, ResultRow, StagedWorkUnit, StoredReceipt, UploadKey } from '../store';
import {
  IN_CONTEXT,
  PROJECT,
  REPLICA_COLUMNS,
  UNIT,
  UNIT_COLUMNS,
  type Column,
  packFrontier,
  toCandidate,
  toInContext,
  toProject,
  toReplica,
  toReturned,
  toStoredReceipt,
  toVolunteer,
  unpackFrontier,
} from './pg-rows';

/** Statement names by text, shared by every connection (each prepares a name the first time it runs it). */
const names = new Map<string, string>();
const nameOf = (text: string): string => {
  let name = names.get(text);
  if (!name) {
    name = `b${names.size}`;
    names.set(text, name);
  }
  return name;
};

export class PgTx implements Tx {
  readonly #client: PoolClient;

  constructor(client: PoolClient) {
    this.#client = client;
  }

  async #q<R extends QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    return (await this.#client.query<R>({ name: nameOf(text), text, values: values as unknown[] })).rows;
  }

  async #one<R extends QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.#q<R>(text, values))[0];
  }

  // ---- projects ----

  async insertProject(p: Project, tokenHash: string): Promise<void> {
    await this.#q(
      'INSERT INTO projects (id, name, description, owner, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [p.id, p.name, p.description, p.owner, tokenHash, p.createdAt],
    );
  }

  async projectByTokenHash(tokenHash: string): Promise<Project | null> {
    const row = await this.#one(`${PROJECT} WHERE token_hash = $1`, [tokenHash]);
    return row ? toProject(row) : null;
  }

  async projects(): Promise<Project[]> {
    return (await this.#q(`${PROJECT} ORDER BY created_at`)).map(toProject);
  }

  async project(id: ProjectId): Promise<Project | null> {
    const row = await this.#one(`${PROJECT} WHERE id = $1`, [id]);
    return row ? toProject(row) : null;
  }

  async insertProjectFunder(project: ProjectId, funder: VolunteerKey): Promise<void> {
    await this.#q('INSERT INTO project_funders (project, funder) VALUES ($1, $2)', [project, funder]);
  }

  async setProjectTokenHash(project: ProjectId, tokenHash: string): Promise<void> {
    await this.#q('UPDATE projects SET token_hash = $1 WHERE id = $2', [tokenHash, project]);
  }

  async projectFundedBy(funder: VolunteerKey): Promise<ProjectId | null> {
    return (
      (await this.#one<{ project: ProjectId }>('SELECT project FROM project_funders WHERE funder = $1', [funder]))
        ?.project ?? null
    );
  }

  async funderOf(project: ProjectId): Promise<VolunteerKey | null> {
    return (
      (await this.#one<{ funder: VolunteerKey }>('SELECT funder FROM project_funders WHERE project = $1', [project]))
        ?.funder ?? null
    );
  }

  async claimImports(rows: readonly ImportClaim[]): Promise<ImportClaim[]> {
    if (rows.length === 0) return [];
    const claimed = await this.#q<{ log: string; idx: string }>(
      `INSERT INTO imported_receipts (log, idx, volunteer, at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
       ON CONFLICT DO NOTHING RETURNING log, idx`,
      [rows.map((r) => r.log), rows.map((r) => r.index), rows.map((r) => r.volunteer), rows.map((r) => r.at)],
    );
    const got = new Set(claimed.map((c) => `${c.log}/${Number(c.idx)}`));
    return rows.filter((r) => got.has(`${r.log}/${r.index}`));
  }

  async issuedUnfinished(jobs: readonly JobId[]): Promise<number> {
    if (jobs.length === 0) return 0;
    const row = await this.#one<{ n: string }>(
      `SELECT COALESCE(SUM(issued), 0) AS n FROM work_units WHERE job = ANY($1::text[]) AND state IN ('unsent', 'in_progress')`,
      [jobs],
    );
    return Number(row?.n ?? 0);
  }

  async embeddingOrigins(project: ProjectId): Promise<string[]> {
    const rows = await this.#q<{ origin: string }>(
      'SELECT origin FROM project_embedding WHERE project = $1 ORDER BY origin COLLATE "C"',
      [project],
    );
    return rows.map((r) => r.origin);
  }

  async replaceEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void> {
    await this.#q('DELETE FROM project_embedding WHERE project = $1', [project]);
    await this.#q(
      `INSERT INTO project_embedding (project, origin) SELECT $1, o FROM unnest($2::text[]) AS o
       ON CONFLICT DO NOTHING`,
      [project, origins],
    );
  }

  // ---- blobs ----

  async blob(hash: string): Promise<Uint8Array | null> {
    const row = await this.#one<{ bytes: Buffer }>('SELECT bytes FROM blobs WHERE hash = $1', [hash]);
    return row ? view(row.bytes) : null;
  }

  async blobSize(hash: string): Promise<number | null> {
    const row = await this.#one<{ n: number }>('SELECT length(bytes) AS n FROM blobs WHERE hash = $1', [hash]);
    return row?.n ?? null;
  }

  async blobs(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    const rows = await this.#q<{ hash: string; bytes: Buffer }>(
      'SELECT hash, bytes FROM blobs WHERE hash = ANY($1::text[])',
      [hashes],
    );
    return new Map(rows.map((r) => [r.hash, view(r.bytes)]));
  }

  // ---- jobs ----

  async insertJob(job: JobRecord): Promise<void> {
    await this.#q('INSERT INTO jobs (id, project, state, definition, created_at) VALUES ($1, $2, $3, $4, $5)', [
      job.id,
      job.project,
      job.state,
      JSON.stringify(job.definition),
      job.createdAt,
    ]);
  }

  async jobState(id: JobId): Promise<{ project: ProjectId; state: JobState } | null> {
    return (
      (await this.#one<{ project: ProjectId; state: JobState }>('SELECT project, state FROM jobs WHERE id = $1', [
        id,
      ])) ?? null
    );
  }

  async jobIds(filter: { project?: ProjectId; state?: JobState }): Promise<JobId[]> {
    const rows = await this.#q<{ id: JobId }>(
      `SELECT id FROM jobs WHERE ($1::text IS NULL OR project = $1) AND ($2::text IS NULL OR state = $2) ORDER BY seq`,
      [filter.project ?? null, filter.state ?? null],
    );
    return rows.map((r) => r.id);
  }

  async jobDefinition(id: JobId): Promise<{ json: string; createdAt: number } | null> {
    const row = await this.#one<{ definition: string; created_at: number }>(
      'SELECT definition, created_at FROM jobs WHERE id = $1',
      [id],
    );
    return row ? { json: row.definition, createdAt: row.created_at } : null;
  }

  async lockJob(id: JobId): Promise<JobState | null> {
    return (
      (await this.#one<{ state: JobState }>('SELECT state FROM jobs WHERE id = $1 FOR UPDATE', [id]))?.state ?? null
    );
  }

  async setJobState(id: JobId, state: JobState): Promise<void> {
    await this.#q('UPDATE jobs SET state = $1 WHERE id = $2', [state, id]);
  }

  async cancelUnfinished(job: JobId): Promise<void> {
    await this.#q(
      "UPDATE work_units SET state = 'cancelled', need = 0 WHERE job = $1 AND state IN ('unsent', 'in_progress')",
      [job],
    );
  }

  async countByState(
    job: JobId,
  ): Promise<{ state: StoredWorkUnitState; n: number; wanting: number; reissued: number }[]> {
    return this.#q(
      `SELECT state, COUNT(*)::int AS n, (COUNT(*) FILTER (WHERE need > 0))::int AS wanting,
         COALESCE(SUM(GREATEST(issued - quorum, 0)), 0)::int AS reissued
       FROM work_units WHERE job = $1 GROUP BY state`,
      [job],
    );
  }

  // Counted from the replicas (replicas_job index): Postgres has no counters kept by triggers here yet.
  async replicaStates(job: JobId): Promise<{ state: string; n: number }[]> {
    return this.#q('SELECT state, COUNT(*)::int AS n FROM replicas WHERE job = $1 GROUP BY state', [job]);
  }

  async activeVolunteers(job: JobId): Promise<number> {
    return (
      (
        await this.#one<{ n: number }>(
          "SELECT COUNT(DISTINCT volunteer)::int AS n FROM replicas WHERE job = $1 AND state = 'leased'",
          [job],
        )
      )?.n ?? 0
    );
  }

  async failures(job: JobId, limit: number): Promise<FailureRow[]> {
    const rows = await this.#q<{ code: string; n: number; wu: number; message: string | null }>(
      `SELECT f.code, f.n, r.wu, r.error_message AS message
       FROM (SELECT COALESCE(error_code, 'lease_expired') AS code, COUNT(*)::int AS n, MAX(id) AS latest
             FROM replicas WHERE job = $1 AND state IN ('error', 'expired')
             GROUP BY COALESCE(error_code, 'lease_expired')) f
       JOIN replicas r ON r.id = f.latest ORDER BY f.n DESC, f.code LIMIT $2`,
      [job, limit],
    );
    return rows.map((r) => ({ code: r.code, count: r.n, workUnit: r.wu as WorkUnitNumber, message: r.message }));
  }

  async jobCredit(job: JobId): Promise<number> {
    return (await this.#one<{ credit: number }>('SELECT credit FROM jobs WHERE id = $1', [job]))?.credit ?? 0;
  }

  async hasUnfinished(job: JobId): Promise<boolean> {
    return (
      (await this.#one("SELECT 1 FROM work_units WHERE job = $1 AND state IN ('unsent', 'in_progress') LIMIT 1", [
        job,
      ])) !== undefined
    );
  }

  async hasFinished(job: JobId): Promise<boolean> {
    return (
      (await this.#one(
        "SELECT 1 FROM work_units WHERE job = $1 AND state IN ('validated', 'failed', 'cancelled') LIMIT 1",
        [job],
      )) !== undefined
    );
  }

  async addJobTotals(deltas: readonly JobDelta[]): Promise<JobTotals[]> {
    const totals: JobTotals[] = [];
    // One statement per job, in the order given: the lock order.
    for (const d of deltas) {
      const row = await this.#one<{ state: JobState; result_seq: number }>(
        'UPDATE jobs SET credit = credit + $1, result_seq = result_seq + $2 WHERE id = $3 RETURNING state, result_seq',
        [d.credit, d.finished, d.job],
      );
      if (row) totals.push({ job: d.job, state: row.state, resultSeq: row.result_seq });
    }
    return totals;
  }

  async hasWorkFor(job: JobId, volunteer: VolunteerKey, backend: string): Promise<boolean> {
    return (
      (await this.#one(
        `SELECT 1 FROM work_units w WHERE w.job = $1 AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = $2)
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = $3) LIMIT 1`,
        [job, backend, volunteer],
      )) !== undefined
    );
  }

  // ---- uploads ----

  async stageWorkUnits(
    job: JobId,
    batch: string,
    quorum: number,
    units: readonly StagedWorkUnit[],
    now: number,
  ): Promise<void> {
    await this.#q('INSERT INTO upload_batches (batch, job, started_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
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
    await this.#q(
      `INSERT INTO staged_blobs (batch, hash, bytes) SELECT $1, h, b FROM unnest($2::text[], $3::bytea[]) AS s(h, b)
       ON CONFLICT DO NOTHING`,
      [batch, hashes, blobs],
    );
    await this.#q(
      `INSERT INTO work_units (job, state, batch, input_hash, expected_hash, tag, quorum, need)
       SELECT $1, 'staged', $2, i, e, t, $3, 0 FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS s(i, e, t, n)
       ORDER BY n`,
      [job, batch, quorum, units.map((u) => u.inputHash), units.map((u) => u.expectedHash), units.map((u) => u.tag)],
    );
  }

  async stagedCount(batch: string): Promise<number> {
    return (
      (
        await this.#one<{ n: number }>(
          "SELECT COUNT(*)::int AS n FROM work_units WHERE batch = $1 AND state = 'staged'",
          [batch],
        )
      )?.n ?? 0
    );
  }

  async publishBatch(batch: string, state: 'unsent' | 'cancelled', need: number): Promise<BatchSummary> {
    const range = (await this.#one<{ first: number | null; last: number | null; n: number }>(
      `SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*)::int AS n FROM work_units
       WHERE batch = $1 AND expected_hash IS NULL`,
      [batch],
    )) as { first: number | null; last: number | null; n: number };
    await this.#q(
      'INSERT INTO blobs (hash, bytes) SELECT hash, bytes FROM staged_blobs WHERE batch = $1 ON CONFLICT DO NOTHING',
      [batch],
    );
    await this.#q('DELETE FROM staged_blobs WHERE batch = $1', [batch]);
    const known = await this.#q(
      "UPDATE work_units SET state = 'probe', batch = NULL WHERE batch = $1 AND expected_hash IS NOT NULL RETURNING id",
      [batch],
    );
    await this.#q('UPDATE work_units SET state = $1, need = $2, batch = NULL WHERE batch = $3', [state, need, batch]);
    await this.#q('DELETE FROM upload_batches WHERE batch = $1', [batch]);
    return { added: range.n, knownAnswer: known.length, first: range.first, last: range.last };
  }

  async dropBatch(batch: string): Promise<void> {
    await this.#q("DELETE FROM work_units WHERE batch = $1 AND state = 'staged'", [batch]);
    await this.#q('DELETE FROM staged_blobs WHERE batch = $1', [batch]);
    await this.#q('DELETE FROM upload_batches WHERE batch = $1', [batch]);
  }

  async dropStagedBatches(before?: number): Promise<number> {
    const batches = await this.#q<{ batch: string }>(
      'SELECT batch FROM upload_batches WHERE $1::bigint IS NULL OR started_at < $1',
      [before ?? null],
    );
    for (const { batch } of batches) await this.dropBatch(batch);
    return batches.length;
  }

  async uploadKey(job: JobId, key: string): Promise<(UploadKey & { summary: BatchSummary }) | null> {
    const row = await this.#one<{
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
  }

  async insertUploadKey(job: JobId, key: UploadKey, summary: BatchSummary, at: number): Promise<void> {
    await this.#q(
      `INSERT INTO upload_keys (job, key, body_hash, added, known_answer, first, last, committed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [job, key.key, key.bodyHash, summary.added, summary.knownAnswer, summary.first, summary.last, at],
    );
  }

  // ---- leasing ----

  async lockVolunteer(key: VolunteerKey): Promise<VolunteerRecord> {
    // An upsert that always updates: it locks the row whether it was there or not.
    return toVolunteer(
      (await this.#one(
        'INSERT INTO volunteers (key) VALUES ($1) ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING *',
        [key],
      )) as QueryResultRow,
    );
  }

  async volunteer(key: VolunteerKey): Promise<VolunteerRecord | null> {
    const row = await this.#one('SELECT * FROM volunteers WHERE key = $1', [key]);
    return row ? toVolunteer(row) : null;
  }

  async leaseCandidates(
    job: JobId,
    backend: string,
    volunteer: VolunteerKey,
    limit: number,
    inline: number,
  ): Promise<Candidate[]> {
    const rows = await this.#q(
      `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= $5 THEN b.bytes END AS input, w.tag AS tag
       FROM work_units w JOIN blobs b ON b.hash = w.input_hash
       WHERE w.job = $1 AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = $2)
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = $3)
       ORDER BY w.id LIMIT $4 FOR UPDATE OF w SKIP LOCKED`,
      [job, backend, volunteer, limit, inline],
    );
    return rows.map(toCandidate);
  }

  async probeCandidates(job: JobId, volunteer: VolunteerKey, limit: number, inline: number): Promise<Candidate[]> {
    const rows = await this.#q(
      `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= $4 THEN b.bytes END AS input, w.tag AS tag
       FROM work_units w JOIN blobs b ON b.hash = w.input_hash
       WHERE w.job = $1 AND w.state = 'probe'
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = $2)
       LIMIT $3`,
      [job, volunteer, limit, inline],
    );
    return rows.map(toCandidate);
  }

  async insertReplicas(rows: readonly NewReplica[]): Promise<LeaseNumber[]> {
    const inserted = await this.#q<{ id: number; wu: number }>(
      `INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, backend)
       SELECT wu, job, volunteer, 'leased', leased_at, deadline, backend
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
         AS s(wu, job, volunteer, leased_at, deadline, backend)
       RETURNING id, wu`,
      [
        rows.map((r) => r.workUnit),
        rows.map((r) => r.job),
        rows.map((r) => r.volunteer),
        rows.map((r) => r.leasedAt),
        rows.map((r) => r.deadline),
        rows.map((r) => r.backend),
      ],
    );
    // One volunteer's leases name each unit once: the unit tells which id is whose, whatever the order.
    const byUnit = new Map(inserted.map((r) => [r.wu, r.id as LeaseNumber]));
    return rows.map((r) => byUnit.get(r.workUnit) as LeaseNumber);
  }

  // ---- results ----

  async replicasInContext(leases: readonly LeaseNumber[]): Promise<ReplicaInContext[]> {
    const rows = await this.#q(`${IN_CONTEXT} WHERE r.id = ANY($1::bigint[]) ORDER BY w.id, r.id FOR UPDATE OF r, w`, [
      [...new Set(leases)],
    ]);
    return rows.map(toInContext);
  }

  async expiredInContext(now: number, limit: number): Promise<ReplicaInContext[]> {
    const rows = await this.#q(
      `${IN_CONTEXT} WHERE r.state = 'leased' AND r.deadline < $1 ORDER BY w.id, r.id LIMIT $2 FOR UPDATE OF r, w SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(toInContext);
  }

  async returnedFor(units: readonly WorkUnitNumber[]): Promise<ReturnedRow[]> {
    const rows = await this.#q(
      `SELECT id, wu, volunteer, backend, output_hash, output, returned_at - leased_at AS held FROM replicas
       WHERE wu = ANY($1::bigint[]) AND state = 'returned' ORDER BY wu, returned_at, id`,
      [units],
    );
    return rows.map(toReturned);
  }

  async outputsOf(replicas: readonly LeaseNumber[]): Promise<Map<LeaseNumber, Uint8Array>> {
    const rows = await this.#q<{ id: number; output: Buffer | null }>(
      'SELECT id, output FROM replicas WHERE id = ANY($1::bigint[])',
      [replicas],
    );
    const found = new Map<LeaseNumber, Uint8Array>();
    for (const r of rows) if (r.output) found.set(r.id as LeaseNumber, view(r.output));
    return found;
  }

  async replicas(ids: readonly LeaseNumber[]): Promise<ReplicaRecord[]> {
    const rows = await this.#q(
      `SELECT id, wu, job, volunteer, state, deadline, output_hash, error_code FROM replicas
       WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
      [[...new Set(ids)]],
    );
    return rows.map(toReplica);
  }

  async updateReplicas(changes: readonly { id: LeaseNumber; set: ReplicaChange }[]): Promise<void> {
    await this.#updateByShape('replicas', REPLICA_COLUMNS, changes);
  }

  async updateWorkUnits(changes: readonly { id: WorkUnitNumber; set: WorkUnitChange }[]): Promise<void> {
    await this.#updateByShape('work_units', UNIT_COLUMNS, changes);
  }

  /**
   * One UPDATE per set of changed columns, over arrays: a batch's hundreds of changes are a few statements,
   * and each writes only its columns.
   */
  async #updateByShape<C extends object>(
    table: string,
    columns: Record<keyof C, Column>,
    changes: readonly { id: number; set: C }[],
  ): Promise<void> {
    const shapes = new Map<string, { fields: (keyof C)[]; rows: { id: number; set: C }[] }>();
    for (const change of changes) {
      const fields = (Object.keys(change.set) as (keyof C)[]).filter((k) => change.set[k] !== undefined).sort();
      if (fields.length === 0) continue;
      const key = fields.join(',');
      let shape = shapes.get(key);
      if (!shape) {
        shape = { fields, rows: [] };
        shapes.set(key, shape);
      }
      shape.rows.push(change);
    }
    for (const { fields, rows } of shapes.values()) {
      const cols = fields.map((f) => columns[f]);
      const text =
        `UPDATE ${table} t SET ${cols.map((c) => `${c.name} = u.${c.name}`).join(', ')} ` +
        `FROM unnest($1::bigint[], ${cols.map((c, i) => `$${i + 2}::${c.type}[]`).join(', ')}) ` +
        `AS u(id, ${cols.map((c) => c.name).join(', ')}) WHERE t.id = u.id`;
      await this.#q(text, [rows.map((r) => r.id), ...fields.map((f) => rows.map((r) => r.set[f] ?? null))]);
    }
  }

  async addVolunteerCounts(deltas: readonly VolunteerDelta[]): Promise<void> {
    await this.#q(
      `UPDATE volunteers v SET leased = v.leased + d.leased, returned = v.returned + d.returned,
         pending = v.pending + d.pending, errors = v.errors + d.errors, valid = v.valid + d.valid, invalid = v.invalid + d.invalid,
         credit = v.credit + d.credit, spent = v.spent + d.spent, own_credit = v.own_credit + d.own,
         consecutive_valid = CASE WHEN d.reset THEN d.after ELSE v.consecutive_valid + d.after END,
         flagged = v.flagged OR d.flag
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                   $7::float8[], $8::bool[], $9::int[], $10::bool[], $11::bigint[], $12::float8[], $13::float8[])
         AS d(key, leased, returned, errors, valid, invalid, credit, reset, after, flag, pending, spent, own)
       WHERE v.key = d.key`,
      [
        deltas.map((d) => d.key),
        deltas.map((d) => d.leased),
        deltas.map((d) => d.returned),
        deltas.map((d) => d.errors),
        deltas.map((d) => d.valid),
        deltas.map((d) => d.invalid),
        deltas.map((d) => d.credit),
        deltas.map((d) => d.trustReset),
        deltas.map((d) => d.validAfterReset),
        deltas.map((d) => d.flag),
        deltas.map((d) => d.pending),
        deltas.map((d) => d.spent),
        deltas.map((d) => d.ownCredit),
      ],
    );
  }

  async extendLiveLeases(since: number, by: number): Promise<number> {
    const rows = await this.#q(
      "UPDATE replicas SET deadline = deadline + $1 WHERE state = 'leased' AND deadline >= $2 RETURNING id",
      [by, since],
    );
    return rows.length;
  }

  async results(job: JobId, after: number, limit: number): Promise<ResultRow[]> {
    const rows = await this.#q<{
      id: number;
      tag: string | null;
      state: string;
      output_hash: string | null;
      output: Buffer | null;
      reason: string | null;
      finished_at: number;
      result_seq: number;
    }>(
      `SELECT w.id, w.tag, w.state, w.output_hash, r.output, w.reason, w.finished_at, w.result_seq
       FROM work_units w LEFT JOIN replicas r ON r.id = w.canonical_replica
       WHERE w.job = $1 AND w.result_seq > $2 ORDER BY w.result_seq LIMIT $3`,
      [job, after, limit],
    );
    return rows.map((r) => ({
      cursor: r.result_seq,
      workUnit: r.id as WorkUnitNumber,
      tag: r.tag,
      state: r.state === 'validated' ? 'validated' : 'failed',
      outputHash: r.output_hash,
      output: r.output ? view(r.output) : null,
      reason: r.reason,
      at: r.finished_at,
    }));
  }

  // ---- the log ----

  async logHead(): Promise<LogHead> {
    return this.#head('SELECT size, frontier, root, at FROM log_head WHERE id = 1');
  }

  async lockLogHead(): Promise<LogHead> {
    return this.#head('SELECT size, frontier, root, at FROM log_head WHERE id = 1 FOR UPDATE');
  }

  async #head(text: string): Promise<LogHead> {
    const row = (await this.#one<{ size: number; frontier: Buffer; root: Buffer; at: number }>(text)) as {
      size: number;
      frontier: Buffer;
      root: Buffer;
      at: number;
    };
    return { size: row.size, frontier: unpackFrontier(row.frontier), root: view(row.root), at: row.at };
  }

  async setLogHead(head: LogHead): Promise<void> {
    await this.#q('UPDATE log_head SET size = $1, frontier = $2, root = $3, at = $4 WHERE id = 1', [
      head.size,
      packFrontier(head.frontier),
      head.root,
      head.at,
    ]);
  }

  async insertReceipts(rows: readonly NewReceipt[]): Promise<void> {
    await this.#q(
      'INSERT INTO receipts (idx, volunteer, body, leaf) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[])',
      [rows.map((r) => r.index), rows.map((r) => r.volunteer), rows.map((r) => r.body), rows.map((r) => r.leaf)],
    );
  }

  async insertMerkleNodes(nodes: readonly MerkleNode[]): Promise<void> {
    await this.#q(
      `INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])
       ON CONFLICT (level, idx) DO UPDATE SET hash = EXCLUDED.hash`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
    );
  }

  async merkleNodes(keys: readonly { level: number; index: number }[]): Promise<MerkleNode[]> {
    const rows = await this.#q<{ level: number; idx: number; hash: Buffer }>(
      // Level 0 is kept with the receipts; the levels above as nodes.
      `SELECT m.level, m.idx, m.hash FROM merkle_nodes m
       JOIN unnest($1::int[], $2::bigint[]) AS k(level, idx) ON m.level = k.level AND m.idx = k.idx
       UNION ALL
       SELECT 0 AS level, r.idx, r.leaf AS hash FROM receipts r
       JOIN unnest($1::int[], $2::bigint[]) AS k(level, idx) ON k.level = 0 AND r.idx = k.idx`,
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    return rows.map((r) => ({ level: r.level, index: r.idx, hash: view(r.hash) }));
  }

  async receiptsFor(volunteer: VolunteerKey, after: number, limit: number): Promise<StoredReceipt[]> {
    const rows = await this.#q(
      'SELECT idx, body, signature FROM receipts WHERE volunteer = $1 AND idx > $2 ORDER BY idx LIMIT $3',
      [volunteer, after, limit],
    );
    return rows.map(toStoredReceipt);
  }

  async receiptsBetween(start: number, end: number): Promise<StoredReceipt[]> {
    const rows = await this.#q('SELECT idx, body, signature FROM receipts WHERE idx >= $1 AND idx < $2 ORDER BY idx', [
      start,
      end,
    ]);
    return rows.map(toStoredReceipt);
  }

  async setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void> {
    await this.#q(
      `UPDATE receipts r SET signature = s.sig FROM unnest($1::bigint[], $2::text[]) AS s(idx, sig)
       WHERE r.idx = s.idx AND r.signature IS NULL`,
      [[...signatures.keys()], [...signatures.values()]],
    );
  }

  // ---- meta, volunteers, challenges ----

  async meta(key: string): Promise<Uint8Array | null> {
    const row = await this.#one<{ value: Buffer }>('SELECT value FROM meta WHERE key = $1 FOR UPDATE', [key]);
    return row ? view(row.value) : null;
  }

  async putMeta(key: string, value: Uint8Array): Promise<void> {
    await this.#q(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
      [key, value],
    );
  }

  async isVolunteer(key: VolunteerKey): Promise<boolean> {
    return (await this.#one('SELECT 1 FROM volunteers WHERE key = $1', [key])) !== undefined;
  }

  async ensureVolunteer(key: VolunteerKey): Promise<void> {
    await this.#q('INSERT INTO volunteers (key) VALUES ($1) ON CONFLICT DO NOTHING', [key]);
  }

  async pruneChallenges(now: number): Promise<void> {
    await this.#q('DELETE FROM challenges WHERE expires_at < $1', [now]);
  }

  async recordChallenge(nonce: string, volunteer: VolunteerKey, expiresAt: number): Promise<boolean> {
    const rows = await this.#q(
      'INSERT INTO challenges (challenge, volunteer, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1',
      [nonce, volunteer, expiresAt],
    );
    return rows.length === 1;
  }

  async putBan(volunteer: VolunteerKey, reason: string, at: number): Promise<void> {
    await this.#q(
      'INSERT INTO bans (volunteer, reason, at) VALUES ($1, $2, $3) ON CONFLICT (volunteer) DO UPDATE SET reason = EXCLUDED.reason',
      [volunteer, reason, at],
    );
  }

  async deleteBan(volunteer: VolunteerKey): Promise<boolean> {
    return (await this.#q('DELETE FROM bans WHERE volunteer = $1 RETURNING 1', [volunteer])).length > 0;
  }

  async ban(volunteer: VolunteerKey): Promise<Ban | null> {
    const row = await this.#one<{ volunteer: string; reason: string; at: string }>(
      'SELECT volunteer, reason, at FROM bans WHERE volunteer = $1',
      [volunteer],
    );
    return row ? { volunteer: row.volunteer as VolunteerKey, reason: row.reason, at: Number(row.at) } : null;
  }

  async bans(): Promise<Ban[]> {
    const rows = await this.#q<{ volunteer: string; reason: string; at: string }>(
      'SELECT volunteer, reason, at FROM bans ORDER BY at, volunteer',
    );
    return rows.map((r) => ({ volunteer: r.volunteer as VolunteerKey, reason: r.reason, at: Number(r.at) }));
  }

  async endLeasesOf(volunteer: VolunteerKey, now: number): Promise<number> {
    const rows = await this.#q(
      "UPDATE replicas SET deadline = $1 WHERE volunteer = $2 AND state = 'leased' AND deadline >= $3 RETURNING id",
      [now - 1, volunteer, now],
    );
    return rows.length;
  }
}

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
