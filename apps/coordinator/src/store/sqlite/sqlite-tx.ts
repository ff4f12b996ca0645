// The row operations of one SQLite transaction (../persistence.ts). Statements are prepared once and kept.
// A set of rows is one statement (a VALUES list, an IN list) of up to ROWS rows, prepared once per size:
// each statement costs ~1.3 µs on top of its rows here, a third of an updated row's cost. An update writes
// only the columns its change names (one statement per set of columns), so SQLite leaves every index on
// the others alone.
import type {
  Ban,
  BackendClass,
  JobId,
  JobState,
  LeaseNumber,
  Project,
  ProjectId,
  VolunteerKey,
  WorkUnitNumber,
} from '@bricolage/protocol';
import type Database from 'better-sqlite3';
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
  type ProjectRow,
  type CandidateRow,
  type InContextRow,
  type ReplicaSqlRow,
  type ReturnedSqlRow,
  type VolunteerRow,
  type ResultSqlRow,
  type UploadKeyRow,
  type ReceiptRow,
  type LogHeadRow,
  PROJECT,
  bytes,
  buffer,
  bindable,
  packFrontier,
  unpackFrontier,
  toProject,
  toCandidate,
  toInContext,
  toVolunteer,
  toStoredReceipt,
} from './sqlite-rows';

/** The columns behind each field a change may name. */
const UNIT_COLUMNS: Record<keyof WorkUnitChange, string> = {
  state: 'state',
  quorum: 'quorum',
  need: 'need',
  inFlight: 'in_flight',
  issued: 'issued',
  errors: 'errors',
  agree: 'agree',
  hrClass: 'hr_class',
  canonicalReplica: 'canonical_replica',
  outputHash: 'output_hash',
  reason: 'reason',
  finishedAt: 'finished_at',
  resultSeq: 'result_seq',
};
const REPLICA_COLUMNS: Record<keyof ReplicaChange, string> = {
  state: 'state',
  deadline: 'deadline',
  outputHash: 'output_hash',
  errorCode: 'error_code',
  returnedAt: 'returned_at',
  output: 'output',
  backend: 'backend',
  errorMessage: 'error_message',
};

const UNIT = `w.id, w.job, w.state, w.input_hash, w.expected_hash, w.quorum, w.need, w.in_flight, w.issued,
  w.errors, w.agree, w.hr_class, w.canonical_replica, w.output_hash`;
const IN_CONTEXT = `SELECT r.id AS r_id, r.volunteer AS r_volunteer, r.state AS r_state, r.deadline AS r_deadline,
  r.leased_at AS r_leased_at, r.output_hash AS r_output_hash, r.error_code AS r_error_code, j.state AS job_state, ${UNIT}
  FROM replicas r JOIN work_units w ON w.id = r.wu JOIN jobs j ON j.id = r.job`;

/** Rows per statement at most: enough to make a batch a few statements, few enough to cache one per size. */
const ROWS = 256;

const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS) out.push(items.slice(i, i + ROWS));
  return out;
};

export class SqliteTx implements Tx {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  #s(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** The statement `sql` with its `$ROWS` standing for `n` copies of `row`, prepared once per `name` and size. */
  #sized(name: string, n: number, sql: string, row = '?'): Database.Statement {
    const key = `${name}:${n}`;
    let s = this.#statements.get(key);
    if (!s) {
      s = this.#db.prepare(sql.replace('$ROWS', Array(n).fill(row).join(', ')));
      this.#statements.set(key, s);
    }
    return s;
  }

  // ---- projects ----

  async insertProject(p: Project, tokenHash: string): Promise<void> {
    this.#s(
      'INSERT INTO projects (id, name, description, owner, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(p.id, p.name, p.description, p.owner, tokenHash, p.createdAt);
  }

  async projectByTokenHash(tokenHash: string): Promise<Project | null> {
    const row = this.#s(`${PROJECT} WHERE token_hash = ?`).get(tokenHash) as ProjectRow | undefined;
    return row ? toProject(row) : null;
  }

  async projects(): Promise<Project[]> {
    return (this.#s(`${PROJECT} ORDER BY created_at`).all() as ProjectRow[]).map(toProject);
  }

  async project(id: ProjectId): Promise<Project | null> {
    const row = this.#s(`${PROJECT} WHERE id = ?`).get(id) as ProjectRow | undefined;
    return row ? toProject(row) : null;
  }

  async insertProjectFunder(project: ProjectId, funder: VolunteerKey): Promise<void> {
    this.#s('INSERT INTO project_funders (project, funder) VALUES (?, ?)').run(project, funder);
  }

  async setProjectTokenHash(project: ProjectId, tokenHash: string): Promise<void> {
    this.#s('UPDATE projects SET token_hash = ? WHERE id = ?').run(tokenHash, project);
  }

  async projectFundedBy(funder: VolunteerKey): Promise<ProjectId | null> {
    return (this.#s('SELECT project FROM project_funders WHERE funder = ?').pluck().get(funder) as ProjectId) ?? null;
  }

  async funderOf(project: ProjectId): Promise<VolunteerKey | null> {
    return (
      (this.#s('SELECT funder FROM project_funders WHERE project = ?').pluck().get(project) as VolunteerKey) ?? null
    );
  }

  async claimImports(rows: readonly ImportClaim[]): Promise<ImportClaim[]> {
    const insert = this.#s('INSERT OR IGNORE INTO imported_receipts (log, idx, volunteer, at) VALUES (?, ?, ?, ?)');
    return rows.filter((r) => insert.run(r.log, r.index, r.volunteer, r.at).changes === 1);
  }

  async issuedUnfinished(jobs: readonly JobId[]): Promise<number> {
    const sum = this.#s(
      `SELECT COALESCE(SUM(issued), 0) FROM work_units WHERE job = ? AND state IN ('unsent', 'in_progress')`,
    ).pluck();
    let total = 0;
    for (const job of jobs) total += sum.get(job) as number;
    return total;
  }

  async embeddingOrigins(project: ProjectId): Promise<string[]> {
    return this.#s('SELECT origin FROM project_embedding WHERE project = ? ORDER BY origin')
      .pluck()
      .all(project) as string[];
  }

  async replaceEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void> {
    this.#s('DELETE FROM project_embedding WHERE project = ?').run(project);
    const add = this.#s('INSERT OR IGNORE INTO project_embedding (project, origin) VALUES (?, ?)');
    for (const origin of origins) add.run(project, origin);
  }

  // ---- blobs ----

  async blob(hash: string): Promise<Uint8Array | null> {
    const row = this.#s('SELECT bytes FROM blobs WHERE hash = ?').get(hash) as { bytes: Buffer } | undefined;
    return row ? bytes(row.bytes) : null;
  }

  async blobSize(hash: string): Promise<number | null> {
    return (
      (this.#s('SELECT length(bytes) AS n FROM blobs WHERE hash = ?').get(hash) as { n: number } | undefined)?.n ?? null
    );
  }

  async blobs(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    const found = new Map<string, Uint8Array>();
    for (const chunk of chunks(hashes))
      for (const r of this.#sized('blobs', chunk.length, 'SELECT hash, bytes FROM blobs WHERE hash IN ($ROWS)').all(
        ...chunk,
      ) as { hash: string; bytes: Buffer }[])
        found.set(r.hash, bytes(r.bytes));
    return found;
  }

  // ---- jobs ----

  async insertJob(job: JobRecord): Promise<void> {
    this.#s('INSERT INTO jobs (id, project, state, definition, created_at) VALUES (?, ?, ?, ?, ?)').run(
      job.id,
      job.project,
      job.state,
      JSON.stringify(job.definition),
      job.createdAt,
    );
  }

  async jobState(id: JobId): Promise<{ project: ProjectId; state: JobState } | null> {
    return (
      (this.#s('SELECT project, state FROM jobs WHERE id = ?').get(id) as
        | { project: ProjectId; state: JobState }
        | undefined) ?? null
    );
  }

  async jobIds(filter: { project?: ProjectId; state?: JobState }): Promise<JobId[]> {
    if (filter.project && filter.state)
      return this.#s('SELECT id FROM jobs WHERE project = ? AND state = ? ORDER BY seq')
        .pluck()
        .all(filter.project, filter.state) as JobId[];
    if (filter.project)
      return this.#s('SELECT id FROM jobs WHERE project = ? ORDER BY seq').pluck().all(filter.project) as JobId[];
    if (filter.state)
      return this.#s('SELECT id FROM jobs WHERE state = ? ORDER BY seq').pluck().all(filter.state) as JobId[];
    return this.#s('SELECT id FROM jobs ORDER BY seq').pluck().all() as JobId[];
  }

  async jobDefinition(id: JobId): Promise<{ json: string; createdAt: number } | null> {
    const row = this.#s('SELECT definition, created_at FROM jobs WHERE id = ?').get(id) as
      | { definition: string; created_at: number }
      | undefined;
    return row ? { json: row.definition, createdAt: row.created_at } : null;
  }

  async lockJob(id: JobId): Promise<JobState | null> {
    return (this.#s('SELECT state FROM jobs WHERE id = ?').pluck().get(id) as JobState | undefined) ?? null;
  }

  async setJobState(id: JobId, state: JobState): Promise<void> {
    this.#s('UPDATE jobs SET state = ? WHERE id = ?').run(state, id);
  }

  async cancelUnfinished(job: JobId): Promise<void> {
    this.#s(
      "UPDATE work_units SET state = 'cancelled', need = 0 WHERE job = ? AND state IN ('unsent', 'in_progress')",
    ).run(job);
  }

  async countByState(
    job: JobId,
  ): Promise<{ state: StoredWorkUnitState; n: number; wanting: number; reissued: number }[]> {
    return this.#s(
      `SELECT state, COUNT(*) AS n, SUM(need > 0) AS wanting, SUM(MAX(issued - quorum, 0)) AS reissued
       FROM work_units WHERE job = ? GROUP BY state`,
    ).all(job) as { state: StoredWorkUnitState; n: number; wanting: number; reissued: number }[];
  }

  // job_replica_states and job_failures are kept by triggers (schema.ts): a few rows per job.
  async replicaStates(job: JobId): Promise<{ state: string; n: number }[]> {
    return this.#s('SELECT state, n FROM job_replica_states WHERE job = ?').all(job) as { state: string; n: number }[];
  }

  async activeVolunteers(job: JobId): Promise<number> {
    return this.#s("SELECT COUNT(DISTINCT volunteer) FROM replicas WHERE job = ? AND state = 'leased'")
      .pluck()
      .get(job) as number;
  }

  async failures(job: JobId, limit: number): Promise<FailureRow[]> {
    const rows = this.#s(
      `SELECT f.code, f.n, r.wu, r.error_message AS message FROM job_failures f JOIN replicas r ON r.id = f.latest
       WHERE f.job = ? ORDER BY f.n DESC, f.code LIMIT ?`,
    ).all(job, limit) as { code: string; n: number; wu: number; message: string | null }[];
    return rows.map((r) => ({ code: r.code, count: r.n, workUnit: r.wu as WorkUnitNumber, message: r.message }));
  }

  async jobCredit(job: JobId): Promise<number> {
    return (this.#s('SELECT credit FROM jobs WHERE id = ?').pluck().get(job) as number | undefined) ?? 0;
  }

  async hasUnfinished(job: JobId): Promise<boolean> {
    return (
      this.#s("SELECT 1 FROM work_units WHERE job = ? AND state IN ('unsent', 'in_progress') LIMIT 1").get(job) !==
      undefined
    );
  }

  async hasFinished(job: JobId): Promise<boolean> {
    return (
      this.#s("SELECT 1 FROM work_units WHERE job = ? AND state IN ('validated', 'failed', 'cancelled') LIMIT 1").get(
        job,
      ) !== undefined
    );
  }

  async addJobTotals(deltas: readonly JobDelta[]): Promise<JobTotals[]> {
    const add = this.#s(
      'UPDATE jobs SET credit = credit + ?, result_seq = result_seq + ? WHERE id = ? RETURNING state, result_seq',
    );
    return deltas.map((d) => {
      const row = add.get(d.credit, d.finished, d.job) as { state: JobState; result_seq: number };
      return { job: d.job, state: row.state, resultSeq: row.result_seq };
    });
  }

  async hasWorkFor(job: JobId, volunteer: VolunteerKey, backend: string): Promise<boolean> {
    return (
      this.#s(
        `SELECT 1 FROM work_units w WHERE w.job = ? AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = ?)
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?) LIMIT 1`,
      ).get(job, backend, volunteer) !== undefined
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
    this.#s('INSERT OR IGNORE INTO upload_batches (batch, job, started_at) VALUES (?, ?, ?)').run(batch, job, now);
    const blob = this.#s('INSERT OR IGNORE INTO staged_blobs (batch, hash, bytes) VALUES (?, ?, ?)');
    for (const u of units) {
      blob.run(batch, u.inputHash, buffer(u.input));
      if (u.expected && u.expectedHash) blob.run(batch, u.expectedHash, buffer(u.expected));
    }
    for (const chunk of chunks(units))
      this.#sized(
        'stage',
        chunk.length,
        'INSERT INTO work_units (job, state, batch, input_hash, expected_hash, tag, quorum, need) VALUES $ROWS',
        "(?, 'staged', ?, ?, ?, ?, ?, 0)",
      ).run(...chunk.flatMap((u) => [job, batch, u.inputHash, u.expectedHash, u.tag, quorum]));
  }

  async stagedCount(batch: string): Promise<number> {
    return this.#s("SELECT COUNT(*) FROM work_units WHERE batch = ? AND state = 'staged'").pluck().get(batch) as number;
  }

  async publishBatch(batch: string, state: 'unsent' | 'cancelled', need: number): Promise<BatchSummary> {
    const range = this.#s(
      'SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n FROM work_units WHERE batch = ? AND expected_hash IS NULL',
    ).get(batch) as { first: number | null; last: number | null; n: number };
    this.#s('INSERT OR IGNORE INTO blobs (hash, bytes) SELECT hash, bytes FROM staged_blobs WHERE batch = ?').run(
      batch,
    );
    this.#s('DELETE FROM staged_blobs WHERE batch = ?').run(batch);
    const known = this.#s(
      "UPDATE work_units SET state = 'probe', batch = NULL WHERE batch = ? AND expected_hash IS NOT NULL",
    ).run(batch).changes;
    this.#s('UPDATE work_units SET state = ?, need = ?, batch = NULL WHERE batch = ?').run(state, need, batch);
    this.#s('DELETE FROM upload_batches WHERE batch = ?').run(batch);
    return { added: range.n, knownAnswer: known, first: range.first, last: range.last };
  }

  async dropBatch(batch: string): Promise<void> {
    this.#s("DELETE FROM work_units WHERE batch = ? AND state = 'staged'").run(batch);
    this.#s('DELETE FROM staged_blobs WHERE batch = ?').run(batch);
    this.#s('DELETE FROM upload_batches WHERE batch = ?').run(batch);
  }

  async dropStagedBatches(before?: number): Promise<number> {
    if (before === undefined) return this.dropStagedSync();
    const batches = this.#s('SELECT batch FROM upload_batches WHERE started_at < ?').pluck().all(before) as string[];
    for (const batch of batches) await this.dropBatch(batch);
    return batches.length;
  }

  /** Every staged row, whatever its age (the data directory's owner, at start). */
  dropStagedSync(): number {
    const n = this.#s('SELECT COUNT(*) FROM upload_batches').pluck().get() as number;
    this.#s("DELETE FROM work_units WHERE state = 'staged'").run();
    this.#s('DELETE FROM staged_blobs').run();
    this.#s('DELETE FROM upload_batches').run();
    return n;
  }

  async uploadKey(job: JobId, key: string): Promise<(UploadKey & { summary: BatchSummary }) | null> {
    const row = this.#s('SELECT * FROM upload_keys WHERE job = ? AND key = ?').get(job, key) as
      | UploadKeyRow
      | undefined;
    return row
      ? {
          key,
          bodyHash: row.body_hash,
          summary: { added: row.added, knownAnswer: row.known_answer, first: row.first, last: row.last },
        }
      : null;
  }

  async insertUploadKey(job: JobId, key: UploadKey, summary: BatchSummary, at: number): Promise<void> {
    this.#s(
      `INSERT INTO upload_keys (job, key, body_hash, added, known_answer, first, last, committed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(job, key.key, key.bodyHash, summary.added, summary.knownAnswer, summary.first, summary.last, at);
  }

  // ---- leasing ----

  async lockVolunteer(key: VolunteerKey): Promise<VolunteerRecord> {
    this.#s('INSERT OR IGNORE INTO volunteers (key) VALUES (?)').run(key);
    return toVolunteer(this.#s('SELECT * FROM volunteers WHERE key = ?').get(key) as VolunteerRow);
  }

  async volunteer(key: VolunteerKey): Promise<VolunteerRecord | null> {
    const row = this.#s('SELECT * FROM volunteers WHERE key = ?').get(key) as VolunteerRow | undefined;
    return row ? toVolunteer(row) : null;
  }

  async leaseCandidates(
    job: JobId,
    backend: string,
    volunteer: VolunteerKey,
    limit: number,
    inline: number,
  ): Promise<Candidate[]> {
    const rows = this.#s(
      `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= ? THEN b.bytes END AS input, w.tag AS tag
       FROM work_units w JOIN blobs b ON b.hash = w.input_hash
       WHERE w.job = ? AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = ?)
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?)
       ORDER BY w.id LIMIT ?`,
    ).all(inline, job, backend, volunteer, limit) as CandidateRow[];
    return rows.map(toCandidate);
  }

  async probeCandidates(job: JobId, volunteer: VolunteerKey, limit: number, inline: number): Promise<Candidate[]> {
    const rows = this.#s(
      `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= ? THEN b.bytes END AS input, w.tag AS tag
       FROM work_units w JOIN blobs b ON b.hash = w.input_hash
       WHERE w.job = ? AND w.state = 'probe'
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?)
       LIMIT ?`,
    ).all(inline, job, volunteer, limit) as CandidateRow[];
    return rows.map(toCandidate);
  }

  async insertReplicas(rows: readonly NewReplica[]): Promise<LeaseNumber[]> {
    const ids = new Map<number, LeaseNumber>();
    for (const chunk of chunks(rows)) {
      const insert = this.#sized(
        'insertReplicas',
        chunk.length,
        `INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, backend) VALUES $ROWS RETURNING id, wu`,
        "(?, ?, ?, 'leased', ?, ?, ?)",
      );
      const values = chunk.flatMap((r) => [r.workUnit, r.job, r.volunteer, r.leasedAt, r.deadline, r.backend]);
      for (const r of insert.all(...values) as { id: number; wu: number }[]) ids.set(r.wu, r.id as LeaseNumber);
    }
    // One volunteer's leases name each unit once: the unit tells which id is whose, whatever the order.
    return rows.map((r) => ids.get(r.workUnit) as LeaseNumber);
  }

  // ---- results ----

  async replicasInContext(leases: readonly LeaseNumber[]): Promise<ReplicaInContext[]> {
    const rows: ReplicaInContext[] = [];
    for (const chunk of chunks([...new Set(leases)]))
      for (const row of this.#sized('inContext', chunk.length, `${IN_CONTEXT} WHERE r.id IN ($ROWS)`).all(
        ...chunk,
      ) as InContextRow[])
        rows.push(toInContext(row));
    return rows;
  }

  async expiredInContext(now: number, limit: number): Promise<ReplicaInContext[]> {
    return (
      this.#s(`${IN_CONTEXT} WHERE r.state = 'leased' AND r.deadline < ? LIMIT ?`).all(now, limit) as InContextRow[]
    ).map(toInContext);
  }

  async returnedFor(units: readonly WorkUnitNumber[]): Promise<ReturnedRow[]> {
    const rows: ReturnedRow[] = [];
    for (const chunk of chunks(units))
      for (const r of this.#sized(
        'returnedFor',
        chunk.length,
        `SELECT id, wu, volunteer, backend, output_hash, output, returned_at - leased_at AS held FROM replicas
         WHERE wu IN ($ROWS) AND state = 'returned' ORDER BY wu, returned_at, id`,
      ).all(...chunk) as ReturnedSqlRow[])
        rows.push({
          replica: r.id as LeaseNumber,
          heldMs: r.held,
          workUnit: r.wu as WorkUnitNumber,
          volunteer: r.volunteer as VolunteerKey,
          backend: r.backend as BackendClass,
          outputHash: r.output_hash,
          output: bytes(r.output),
        });
    return rows;
  }

  async outputsOf(replicas: readonly LeaseNumber[]): Promise<Map<LeaseNumber, Uint8Array>> {
    const found = new Map<LeaseNumber, Uint8Array>();
    for (const chunk of chunks(replicas))
      for (const r of this.#sized('outputsOf', chunk.length, 'SELECT id, output FROM replicas WHERE id IN ($ROWS)').all(
        ...chunk,
      ) as { id: number; output: Buffer | null }[])
        if (r.output) found.set(r.id as LeaseNumber, bytes(r.output));
    return found;
  }

  async replicas(ids: readonly LeaseNumber[]): Promise<ReplicaRecord[]> {
    const of = this.#s(
      'SELECT id, wu, job, volunteer, state, deadline, output_hash, error_code FROM replicas WHERE id = ?',
    );
    const rows: ReplicaRecord[] = [];
    for (const id of new Set(ids)) {
      const r = of.get(id) as ReplicaSqlRow | undefined;
      if (r)
        rows.push({
          id: r.id as LeaseNumber,
          workUnit: r.wu as WorkUnitNumber,
          job: r.job as JobId,
          volunteer: r.volunteer as VolunteerKey,
          state: r.state as ReplicaRecord['state'],
          deadline: r.deadline,
          outputHash: r.output_hash,
          errorCode: r.error_code,
        });
    }
    return rows;
  }

  async updateReplicas(changes: readonly { id: LeaseNumber; set: ReplicaChange }[]): Promise<void> {
    this.#updateByShape('replicas', REPLICA_COLUMNS, changes);
  }

  async updateWorkUnits(changes: readonly { id: WorkUnitNumber; set: WorkUnitChange }[]): Promise<void> {
    this.#updateByShape('work_units', UNIT_COLUMNS, changes);
  }

  /** One UPDATE … FROM (VALUES …) per set of changed columns: only those columns, up to ROWS rows a statement. */
  #updateByShape<C extends object>(
    table: string,
    columns: Record<keyof C, string>,
    changes: readonly { id: number; set: C }[],
  ): void {
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
    for (const [key, { fields, rows }] of shapes) {
      // VALUES columns are column1, column2, …: the id first, then the fields in order.
      const set = fields.map((f, i) => `${columns[f]} = v.column${i + 2}`).join(', ');
      const row = `(${Array(fields.length + 1)
        .fill('?')
        .join(', ')})`;
      for (const chunk of chunks(rows)) {
        const values = chunk.flatMap((r) => [r.id, ...fields.map((f) => bindable(r.set[f]))]);
        if (chunk.length === 1) {
          // SQLite materialises a one-row VALUES list before the join: ~20x the cost of a plain UPDATE (measured).
          const one = fields.map((f) => `${columns[f]} = ?`).join(', ');
          const [id, ...rest] = values;
          this.#s(`UPDATE ${table} SET ${one} WHERE id = ?`).run(...rest, id);
          continue;
        }
        const update = this.#sized(
          `update ${table} ${key}`,
          chunk.length,
          `UPDATE ${table} SET ${set} FROM (VALUES $ROWS) AS v WHERE ${table}.id = v.column1`,
          row,
        );
        update.run(...values);
      }
    }
  }

  async addVolunteerCounts(deltas: readonly VolunteerDelta[]): Promise<void> {
    const add = this.#s(
      `UPDATE volunteers SET leased = leased + ?, returned = returned + ?, pending = pending + ?, errors = errors + ?,
         valid = valid + ?, invalid = invalid + ?, credit = credit + ?, spent = spent + ?, own_credit = own_credit + ?,
         consecutive_valid = CASE WHEN ? THEN ? ELSE consecutive_valid + ? END, flagged = flagged | ?
       WHERE key = ?`,
    );
    for (const d of deltas)
      add.run(
        d.leased,
        d.returned,
        d.pending,
        d.errors,
        d.valid,
        d.invalid,
        d.credit,
        d.spent,
        d.ownCredit,
        d.trustReset ? 1 : 0,
        d.validAfterReset,
        d.validAfterReset,
        d.flag ? 1 : 0,
        d.key,
      );
  }

  async extendLiveLeases(since: number, by: number): Promise<number> {
    return this.#s("UPDATE replicas SET deadline = deadline + ? WHERE state = 'leased' AND deadline >= ?").run(
      by,
      since,
    ).changes;
  }

  async results(job: JobId, after: number, limit: number): Promise<ResultRow[]> {
    const rows = this.#s(
      `SELECT w.id, w.tag, w.state, w.output_hash, r.output, w.reason, w.finished_at, w.result_seq
       FROM work_units w LEFT JOIN replicas r ON r.id = w.canonical_replica
       WHERE w.job = ? AND w.result_seq > ? ORDER BY w.result_seq LIMIT ?`,
    ).all(job, after, limit) as ResultSqlRow[];
    return rows.map((r) => ({
      cursor: r.result_seq,
      workUnit: r.id as WorkUnitNumber,
      tag: r.tag,
      state: r.state === 'validated' ? 'validated' : 'failed',
      outputHash: r.output_hash,
      output: r.output ? bytes(r.output) : null,
      reason: r.reason,
      at: r.finished_at,
    }));
  }

  // ---- the log ----

  async logHead(): Promise<LogHead> {
    const row = this.#s('SELECT size, frontier, root, at FROM log_head WHERE id = 1').get() as LogHeadRow;
    return { size: row.size, frontier: unpackFrontier(row.frontier), root: bytes(row.root), at: row.at };
  }

  async lockLogHead(): Promise<LogHead> {
    return this.logHead();
  }

  async setLogHead(head: LogHead): Promise<void> {
    this.#s('UPDATE log_head SET size = ?, frontier = ?, root = ?, at = ? WHERE id = 1').run(
      head.size,
      packFrontier(head.frontier),
      buffer(head.root),
      head.at,
    );
  }

  async insertReceipts(rows: readonly NewReceipt[]): Promise<void> {
    for (const chunk of chunks(rows))
      this.#sized(
        'insertReceipts',
        chunk.length,
        'INSERT INTO receipts (idx, volunteer, body, leaf) VALUES $ROWS',
        '(?, ?, ?, ?)',
      ).run(...chunk.flatMap((r) => [r.index, r.volunteer, r.body, buffer(r.leaf)]));
  }

  async insertMerkleNodes(nodes: readonly MerkleNode[]): Promise<void> {
    for (const chunk of chunks(nodes))
      this.#sized(
        'insertNodes',
        chunk.length,
        'INSERT OR REPLACE INTO merkle_nodes (level, idx, hash) VALUES $ROWS',
        '(?, ?, ?)',
      ).run(...chunk.flatMap((n) => [n.level, n.index, buffer(n.hash)]));
  }

  async merkleNodes(keys: readonly { level: number; index: number }[]): Promise<MerkleNode[]> {
    // Leaves are kept with their receipts; those of logs older than that, and every level above, as nodes.
    const leaf = this.#s('SELECT leaf FROM receipts WHERE idx = ?').pluck();
    const node = this.#s('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?').pluck();
    const nodes: MerkleNode[] = [];
    for (const { level, index } of keys) {
      const hash = ((level === 0 ? leaf.get(index) : null) ?? node.get(level, index)) as Buffer | null | undefined;
      if (hash) nodes.push({ level, index, hash: bytes(hash) });
    }
    return nodes;
  }

  async receiptsFor(volunteer: VolunteerKey, after: number, limit: number): Promise<StoredReceipt[]> {
    return (
      this.#s('SELECT idx, body, signature FROM receipts WHERE volunteer = ? AND idx > ? ORDER BY idx LIMIT ?').all(
        volunteer,
        after,
        limit,
      ) as ReceiptRow[]
    ).map(toStoredReceipt);
  }

  async receiptsBetween(start: number, end: number): Promise<StoredReceipt[]> {
    return (
      this.#s('SELECT idx, body, signature FROM receipts WHERE idx >= ? AND idx < ? ORDER BY idx').all(
        start,
        end,
      ) as ReceiptRow[]
    ).map(toStoredReceipt);
  }

  async setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void> {
    const set = this.#s('UPDATE receipts SET signature = ? WHERE idx = ? AND signature IS NULL');
    for (const [idx, sig] of signatures) set.run(sig, idx);
  }

  // ---- meta, volunteers, challenges ----

  async meta(key: string): Promise<Uint8Array | null> {
    const value = this.#s('SELECT value FROM meta WHERE key = ?').pluck().get(key) as Buffer | undefined;
    return value ? bytes(value) : null;
  }

  async putMeta(key: string, value: Uint8Array): Promise<void> {
    this.#s('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      key,
      buffer(value),
    );
  }

  async isVolunteer(key: VolunteerKey): Promise<boolean> {
    return this.#s('SELECT 1 FROM volunteers WHERE key = ?').get(key) !== undefined;
  }

  async ensureVolunteer(key: VolunteerKey): Promise<void> {
    this.#s('INSERT OR IGNORE INTO volunteers (key) VALUES (?)').run(key);
  }

  async pruneChallenges(now: number): Promise<void> {
    this.#s('DELETE FROM challenges WHERE expires_at < ?').run(now);
  }

  async recordChallenge(nonce: string, volunteer: VolunteerKey, expiresAt: number): Promise<boolean> {
    return (
      this.#s('INSERT OR IGNORE INTO challenges (challenge, volunteer, expires_at) VALUES (?, ?, ?)').run(
        nonce,
        volunteer,
        expiresAt,
      ).changes === 1
    );
  }

  async putBan(volunteer: VolunteerKey, reason: string, at: number): Promise<void> {
    this.#s(
      'INSERT INTO bans (volunteer, reason, at) VALUES (?, ?, ?) ON CONFLICT (volunteer) DO UPDATE SET reason = excluded.reason',
    ).run(volunteer, reason, at);
  }

  async deleteBan(volunteer: VolunteerKey): Promise<boolean> {
    return this.#s('DELETE FROM bans WHERE volunteer = ?').run(volunteer).changes > 0;
  }

  async ban(volunteer: VolunteerKey): Promise<Ban | null> {
    return (
      (this.#s('SELECT volunteer, reason, at FROM bans WHERE volunteer = ?').get(volunteer) as Ban | undefined) ?? null
    );
  }

  async bans(): Promise<Ban[]> {
    return this.#s('SELECT volunteer, reason, at FROM bans ORDER BY at, volunteer').all() as Ban[];
  }

  async endLeasesOf(volunteer: VolunteerKey, now: number): Promise<number> {
    return this.#s("UPDATE replicas SET deadline = ? WHERE volunteer = ? AND state = 'leased' AND deadline >= ?").run(
      now - 1,
      volunteer,
      now,
    ).changes;
  }
}
