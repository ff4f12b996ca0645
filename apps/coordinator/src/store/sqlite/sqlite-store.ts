// The embedded default store: better-sqlite3 in WAL mode. Every state change is one transaction;
// the decisions inside them are the pure rules in ../../rules.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Failure,
  type JobId,
  type JobState,
  type Project,
  type ProjectId,
  type ReceiptBody,
  type Result,
  type SubmitResponse,
  type VolunteerStats,
  WORK_UNIT_STATES,
  type WorkUnitCounts,
  canonicalJson,
  ioSizes,
  ok,
  workUnitId,
} from '@bricolage/protocol';
import Database from 'better-sqlite3';
import type { Random } from '../../clock';
import {
  appendLeaf,
  consistencyPath,
  inclusionPath,
  leafHashSync,
  type MerkleNodeStore,
  rootAt,
} from '../../log/merkle-tree';
import { agree } from '../../rules/compare';
import { eligibility, leaseOrder } from '../../rules/eligibility';
import { type TrustEvent, type TrustRecord, nextTrust, quorumFor } from '../../rules/trust';
import { failureReason, replicasWanted, type ReturnedResult, validate } from '../../rules/validation';
import {
  type BatchSummary,
  type CommittedUpload,
  type GrantedLease,
  type HeartbeatRow,
  type JobActivity,
  type JobCounts,
  type JobRecord,
  type LeaseQuery,
  type ResultRow,
  type StagedWorkUnit,
  type Store,
  type StoredReceipt,
  type SubmitItem,
  type UploadKey,
  uploadKeyReused,
} from '../store';
import { MIGRATIONS } from './schema';

export interface SqliteStoreOptions {
  readonly path: string;
  readonly random: Random;
  /** Upper bound on leases one volunteer may hold at once. */
  readonly maxLeasesPerVolunteer: number;
  /** Inputs up to this size are inlined in lease responses. */
  readonly inlineInputBytes: number;
  /**
   * Opened by the owner of the data directory (the coordinator holding its lock), which alone may drop
   * the staged rows a crashed run left: anyone else could be deleting an upload still in flight.
   */
  readonly owner?: boolean;
}

interface WorkUnitRow {
  id: number;
  job: string;
  state: string;
  tag: string | null;
  input_hash: string;
  expected_hash: string | null;
  quorum: number;
  need: number;
  in_flight: number;
  issued: number;
  errors: number;
  agree: number;
  hr_class: string | null;
  canonical_replica: number | null;
  output_hash: string | null;
}

/** A work unit offered for leasing, with its input bytes joined in. */
interface CandidateRow extends WorkUnitRow {
  input_bytes: Buffer;
}

interface ReplicaRow {
  id: number;
  wu: number;
  job: string;
  volunteer: string;
  state: string;
  deadline: number;
  output_hash: string | null;
  error_code: string | null;
}

/** The meta entry holding when the coordinator was last known to run (ms since the epoch, as decimal text). */
const ALIVE_AT = 'alive_at';

/** Thrown inside a transaction to roll it back and report a failure value. */
class Rejection extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly jobs = new Map<string, JobRecord>();
  private logKey = '';
  private logCount = 0;
  private resultSeq = 0;
  private readonly merkle: MerkleNodeStore;
  private readonly s: ReturnType<SqliteStore['prepare']>;
  /** Counter and trust changes gathered during one transaction and written once per volunteer at its end. */
  private tally: Map<string, VolunteerDelta> | null = null;
  private jobCredits: Map<string, number> | null = null;
  /** Jobs one of whose work units finished in the current transaction: candidates for `completed`. */
  private finished = new Set<string>();

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    // FULL: a result acknowledged to a volunteer survives power loss, not only a process crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.s = this.prepare();
    this.merkle = {
      getNode: (level, index) => {
        const row = this.s.getNode.get(level, index) as { hash: Buffer } | undefined;
        return row ? new Uint8Array(row.hash) : undefined;
      },
      putNode: (level, index, hash) => {
        this.s.putNode.run(level, index, hash);
      },
    };
    for (const row of this.db.prepare('SELECT * FROM jobs').all() as JobSqlRow[]) {
      const job = toJobRecord(row);
      this.jobs.set(job.id, job);
    }
    this.logCount = (this.db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM receipts').get() as { n: number }).n;
    this.resultSeq = (
      this.db.prepare('SELECT COALESCE(MAX(result_seq), 0) AS n FROM work_units').get() as { n: number }
    ).n;
    if (options.owner) {
      // A crash mid-upload leaves staged rows that were never committed: they were never visible, drop them.
      this.db.prepare("DELETE FROM work_units WHERE state = 'staged'").run();
      this.db.prepare('DELETE FROM staged_blobs').run();
    }
  }

  setLogKey(key: string): void {
    this.logKey = key;
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      getNode: db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?'),
      putNode: db.prepare('INSERT OR REPLACE INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'),
      stageBlob: db.prepare('INSERT OR IGNORE INTO staged_blobs (batch, hash, bytes) VALUES (?, ?, ?)'),
      getBlob: db.prepare('SELECT bytes FROM blobs WHERE hash = ?'),
      hasBlob: db.prepare('SELECT 1 FROM blobs WHERE hash = ?'),
      blobSize: db.prepare('SELECT length(bytes) AS n FROM blobs WHERE hash = ?'),
      stage: db.prepare(
        `INSERT INTO work_units (job, state, batch, input_hash, expected_hash, tag, quorum, need)
         VALUES (?, 'staged', ?, ?, ?, ?, ?, 0)`,
      ),
      inFlightOf: db.prepare("SELECT COUNT(*) AS n FROM replicas WHERE volunteer = ? AND state = 'leased'"),
      candidates: db.prepare(
        `SELECT w.*, b.bytes AS input_bytes FROM work_units w JOIN blobs b ON b.hash = w.input_hash
         WHERE w.job = ? AND w.need > 0
           AND (w.hr_class IS NULL OR w.hr_class = ?)
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?)
         ORDER BY w.id LIMIT ?`,
      ),
      probes: db.prepare(
        `SELECT w.*, b.bytes AS input_bytes FROM work_units w JOIN blobs b ON b.hash = w.input_hash
         WHERE w.job = ? AND w.state = 'probe'
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?)
         LIMIT 64`,
      ),
      insertReplica: db.prepare(
        `INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, backend)
         VALUES (?, ?, ?, 'leased', ?, ?, ?)`,
      ),
      wu: db.prepare('SELECT * FROM work_units WHERE id = ?'),
      updateWu: db.prepare(
        `UPDATE work_units SET state = ?, quorum = ?, need = ?, in_flight = ?, issued = ?, errors = ?, agree = ?,
           hr_class = ?, canonical_replica = ?, output_hash = ?, reason = ?, finished_at = ?, result_seq = ?
         WHERE id = ?`,
      ),
      replica: db.prepare(
        'SELECT id, wu, job, volunteer, state, deadline, output_hash, error_code FROM replicas WHERE id = ?',
      ),
      returned: db.prepare(
        "SELECT id, volunteer, backend, output_hash, output FROM replicas WHERE wu = ? AND state = 'returned' ORDER BY returned_at, id",
      ),
      replicaOutput: db.prepare('SELECT output FROM replicas WHERE id = ?'),
      setReturned: db.prepare(
        "UPDATE replicas SET state = 'returned', returned_at = ?, output_hash = ?, output = ?, backend = ? WHERE id = ?",
      ),
      setError: db.prepare(
        "UPDATE replicas SET state = 'error', returned_at = ?, error_code = ?, error_message = ? WHERE id = ?",
      ),
      setReplicaState: db.prepare('UPDATE replicas SET state = ? WHERE id = ?'),
      dropOutput: db.prepare('UPDATE replicas SET output = NULL WHERE id = ?'),
      expired: db.prepare("SELECT id, wu, volunteer FROM replicas WHERE state = 'leased' AND deadline < ? LIMIT 1000"),
      volunteer: db.prepare('SELECT * FROM volunteers WHERE key = ?'),
      ensureVolunteer: db.prepare('INSERT OR IGNORE INTO volunteers (key) VALUES (?)'),
      countLeased: db.prepare('UPDATE volunteers SET leased = leased + ? WHERE key = ?'),
      flushVolunteer: db.prepare(
        `UPDATE volunteers SET returned = returned + ?, errors = errors + ?, valid = valid + ?, invalid = invalid + ?,
           credit = credit + ?, consecutive_valid = ?, flagged = ? WHERE key = ?`,
      ),
      updateProgress: db.prepare(
        'UPDATE work_units SET state = ?, quorum = ?, need = ?, in_flight = ?, issued = ?, errors = ?, agree = ?, hr_class = ? WHERE id = ?',
      ),
      jobCredit: db.prepare('UPDATE jobs SET credit = credit + ? WHERE id = ?'),
      jobState: db.prepare('SELECT state FROM jobs WHERE id = ?'),
      setJobState: db.prepare('UPDATE jobs SET state = ? WHERE id = ?'),
      // Point lookups in the work_units_state index, so that the check costs the same for a job of any size.
      anyUnfinished: db.prepare(
        "SELECT 1 FROM work_units WHERE job = ? AND state IN ('unsent', 'in_progress') LIMIT 1",
      ),
      anyFinished: db.prepare(
        "SELECT 1 FROM work_units WHERE job = ? AND state IN ('validated', 'failed', 'cancelled') LIMIT 1",
      ),
      hasWorkFor: db.prepare(
        `SELECT 1 FROM work_units w WHERE w.job = ? AND w.need > 0 AND (w.hr_class IS NULL OR w.hr_class = ?)
           AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?) LIMIT 1`,
      ),
      insertReceipt: db.prepare('INSERT INTO receipts (idx, volunteer, body) VALUES (?, ?, ?)'),
      progress: db.prepare(
        `SELECT state, COUNT(*) AS n, SUM(need > 0) AS wanting, SUM(MAX(issued - quorum, 0)) AS reissued
         FROM work_units WHERE job = ? GROUP BY state`,
      ),
      // job_replica_states and job_failures are kept by triggers (schema.ts): a few rows per job.
      replicaStates: db.prepare('SELECT state, n FROM job_replica_states WHERE job = ?'),
      activeVolunteers: db.prepare(
        "SELECT COUNT(DISTINCT volunteer) AS n FROM replicas WHERE job = ? AND state = 'leased'",
      ),
      errorCodes: db.prepare(
        `SELECT f.code, f.n, r.wu, r.error_message AS message FROM job_failures f JOIN replicas r ON r.id = f.latest
         WHERE f.job = ? ORDER BY f.n DESC, f.code LIMIT ?`,
      ),
      putMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  // ---- projects and blobs ----

  async createProject(p: Project, tokenHash: string): Promise<void> {
    this.db
      .prepare('INSERT INTO projects (id, name, description, owner, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(p.id, p.name, p.description, p.owner, tokenHash, p.createdAt);
  }

  async projectByTokenHash(tokenHash: string): Promise<Project | null> {
    const row = this.db
      .prepare('SELECT id, name, description, owner, created_at FROM projects WHERE token_hash = ?')
      .get(tokenHash) as ProjectSqlRow | undefined;
    return row ? toProject(row) : null;
  }

  async listProjects(): Promise<Project[]> {
    const rows = this.db
      .prepare('SELECT id, name, description, owner, created_at FROM projects ORDER BY created_at')
      .all() as ProjectSqlRow[];
    return rows.map(toProject);
  }

  async getProject(id: ProjectId): Promise<Project | null> {
    const row = this.db.prepare('SELECT id, name, description, owner, created_at FROM projects WHERE id = ?').get(id) as
      | ProjectSqlRow
      | undefined;
    return row ? toProject(row) : null;
  }

  async embeddingOrigins(project: ProjectId): Promise<string[]> {
    const rows = this.db
      .prepare('SELECT origin FROM project_embedding WHERE project = ? ORDER BY origin')
      .all(project) as { origin: string }[];
    return rows.map((r) => r.origin);
  }

  async setEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void> {
    const remove = this.db.prepare('DELETE FROM project_embedding WHERE project = ?');
    const add = this.db.prepare('INSERT OR IGNORE INTO project_embedding (project, origin) VALUES (?, ?)');
    this.db.transaction(() => {
      remove.run(project);
      for (const origin of origins) add.run(project, origin);
    })();
  }

  async getBlob(hash: string): Promise<Uint8Array | null> {
    const row = this.s.getBlob.get(hash) as { bytes: Buffer } | undefined;
    return row ? new Uint8Array(row.bytes) : null;
  }

  async hasBlob(hash: string): Promise<boolean> {
    return this.s.hasBlob.get(hash) !== undefined;
  }

  async blobSize(hash: string): Promise<number | null> {
    return (this.s.blobSize.get(hash) as { n: number } | undefined)?.n ?? null;
  }

  // ---- jobs ----

  async createJob(job: JobRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO jobs (id, project, state, definition, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(job.id, job.project, job.state, JSON.stringify(job.definition), job.createdAt);
    this.jobs.set(job.id, job);
  }

  async getJob(id: JobId): Promise<JobRecord | null> {
    return this.jobs.get(id) ?? null;
  }

  async listJobs(project: ProjectId): Promise<JobRecord[]> {
    return [...this.jobs.values()].filter((j) => j.project === project);
  }

  async setJobState(id: JobId, wanted: JobState): Promise<JobState> {
    const job = this.jobs.get(id);
    if (!job) return wanted;
    // A job made active with nothing left to do is completed at once.
    const state = wanted === 'active' && this.isComplete(id) ? 'completed' : wanted;
    this.db.transaction(() => {
      this.s.setJobState.run(state, id);
      if (state === 'cancelled') {
        // Accepted results stay; only work that has not validated stops.
        this.db
          .prepare(
            "UPDATE work_units SET state = 'cancelled', need = 0 WHERE job = ? AND state IN ('unsent', 'in_progress')",
          )
          .run(id);
      }
    })();
    this.jobs.set(id, { ...job, state });
    return state;
  }

  /** At least one work unit (known-answer units aside), and none left unsent or in progress. */
  private isComplete(job: string): boolean {
    return this.s.anyUnfinished.get(job) === undefined && this.s.anyFinished.get(job) !== undefined;
  }

  /**
   * Inside the transaction that finished their last units: active jobs with nothing left become
   * `completed`. Returns them; the caller updates its cache once the transaction has committed.
   */
  private completeFinished(): string[] {
    const completed: string[] = [];
    for (const id of this.finished) {
      const row = this.s.jobState.get(id) as { state: string } | undefined;
      if (row?.state === 'active' && this.isComplete(id)) {
        this.s.setJobState.run('completed', id);
        completed.push(id);
      }
    }
    return completed;
  }

  /** Re-reads the state of these jobs into the cache (after a commit, or a rollback). */
  private refreshStates(ids: Iterable<string>): void {
    for (const id of ids) {
      const job = this.jobs.get(id);
      const row = this.s.jobState.get(id) as { state: JobState } | undefined;
      if (job && row) this.jobs.set(id, { ...job, state: row.state });
    }
  }

  async hasWorkFor(job: JobId, volunteer: string, backend: string): Promise<boolean> {
    return this.s.hasWorkFor.get(job, backend, volunteer) !== undefined;
  }

  async progress(id: JobId): Promise<JobCounts> {
    const counts = Object.fromEntries(WORK_UNIT_STATES.map((s) => [s, 0])) as Record<string, number>;
    let knownAnswer = 0;
    let wanting = 0;
    let reissued = 0;
    // The same pass over the job's rows that counts them sums the replicas issued beyond each unit's quorum.
    const rows = this.s.progress.all(id) as { state: string; n: number; wanting: number; reissued: number }[];
    for (const r of rows) {
      reissued += r.reissued;
      if (r.state === 'probe') knownAnswer = r.n;
      else if (r.state in counts) {
        counts[r.state] = r.n;
        wanting += r.wanting;
      }
    }
    const credit = (this.db.prepare('SELECT credit FROM jobs WHERE id = ?').get(id) as { credit: number } | undefined)
      ?.credit;
    return { counts: counts as WorkUnitCounts, knownAnswer, credit: credit ?? 0, wanting, reissued };
  }

  async activity(id: JobId, limit: number): Promise<JobActivity> {
    const byState = new Map(
      (this.s.replicaStates.all(id) as { state: string; n: number }[]).map((r) => [r.state, r.n] as const),
    );
    const n = (state: string) => byState.get(state) ?? 0;
    const errorCodes = (this.s.errorCodes.all(id, limit) as ErrorSqlRow[]).map((r) => ({
      code: r.code,
      count: r.n,
      workUnit: r.wu,
      message: r.message ?? 'no result arrived before the lease ran out',
    }));
    return {
      activeVolunteers: (this.s.activeVolunteers.get(id) as { n: number }).n,
      issued: [...byState.values()].reduce((a, b) => a + b, 0),
      valid: n('valid'),
      invalid: n('invalid'),
      errors: n('error') + n('expired'),
      errorCodes,
    };
  }

  // ---- work units ----

  async stageWorkUnits(job: JobId, batch: string, units: readonly StagedWorkUnit[]): Promise<void> {
    const record = this.requireJob(job);
    const quorum = record.definition.redundancy.minQuorum;
    this.db.transaction(() => {
      for (const u of units) {
        this.s.stageBlob.run(batch, u.inputHash, u.input);
        if (u.expected && u.expectedHash) this.s.stageBlob.run(batch, u.expectedHash, u.expected);
        this.s.stage.run(job, batch, u.inputHash, u.expectedHash, u.tag, quorum);
      }
    })();
  }

  async commitBatch(
    job: JobId,
    batch: string,
    staged: number,
    key?: UploadKey & { readonly at: number },
  ): Promise<Result<CommittedUpload>> {
    const record = this.requireJob(job);
    const need = record.state === 'cancelled' ? 0 : record.definition.redundancy.minQuorum;
    const result = this.db.transaction((): Result<CommittedUpload> => {
      // Inside the transaction, so that of two uploads racing under one key exactly one commits.
      const earlier = key ? this.uploadKeyRow(job, key.key) : undefined;
      if (key && earlier) {
        this.dropBatch(batch);
        if (earlier.body_hash !== key.bodyHash) return { ok: false, error: uploadKeyReused(key.key) };
        return ok({ summary: summaryOf(earlier), replayed: true });
      }
      const present = (
        this.db.prepare("SELECT COUNT(*) AS n FROM work_units WHERE batch = ? AND state = 'staged'").get(batch) as {
          n: number;
        }
      ).n;
      if (present !== staged)
        return {
          ok: false,
          error: {
            code: 'conflict',
            message: `only ${present} of the ${staged} work units staged by this upload are still there; nothing was added, send it again`,
          },
        };
      const range = this.db
        .prepare(
          `SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n, SUM(expected_hash IS NOT NULL) AS k
           FROM work_units WHERE batch = ? AND expected_hash IS NULL`,
        )
        .get(batch) as { first: number | null; last: number | null; n: number };
      this.db
        .prepare('INSERT OR IGNORE INTO blobs (hash, bytes) SELECT hash, bytes FROM staged_blobs WHERE batch = ?')
        .run(batch);
      this.db.prepare('DELETE FROM staged_blobs WHERE batch = ?').run(batch);
      const known = this.db
        .prepare("UPDATE work_units SET state = 'probe', batch = NULL WHERE batch = ? AND expected_hash IS NOT NULL")
        .run(batch).changes;
      this.db
        .prepare('UPDATE work_units SET state = ?, need = ?, batch = NULL WHERE batch = ?')
        .run(record.state === 'cancelled' ? 'cancelled' : 'unsent', need, batch);
      // New work reopens a completed job: it is active again until these units finish too.
      const current = (this.s.jobState.get(job) as { state: string }).state;
      if (current === 'completed' && range.n > 0) this.s.setJobState.run('active', job);
      const summary = { added: range.n, knownAnswer: known, first: range.first, last: range.last };
      if (key)
        this.db
          .prepare(
            `INSERT INTO upload_keys (job, key, body_hash, added, known_answer, first, last, committed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(job, key.key, key.bodyHash, summary.added, summary.knownAnswer, summary.first, summary.last, key.at);
      return ok({ summary, replayed: false });
    })();
    this.refreshStates([job]);
    return result;
  }

  async uploadByKey(job: JobId, key: string): Promise<(UploadKey & { readonly summary: BatchSummary }) | null> {
    const row = this.uploadKeyRow(job, key);
    return row ? { key, bodyHash: row.body_hash, summary: summaryOf(row) } : null;
  }

  private uploadKeyRow(job: JobId, key: string): UploadKeySqlRow | undefined {
    return this.db.prepare('SELECT * FROM upload_keys WHERE job = ? AND key = ?').get(job, key) as
      | UploadKeySqlRow
      | undefined;
  }

  async abortBatch(_job: JobId, batch: string): Promise<void> {
    this.db.transaction(() => this.dropBatch(batch))();
  }

  private dropBatch(batch: string): void {
    this.db.prepare("DELETE FROM work_units WHERE batch = ? AND state = 'staged'").run(batch);
    this.db.prepare('DELETE FROM staged_blobs WHERE batch = ?').run(batch);
  }

  // ---- leasing ----

  async lease(q: LeaseQuery, now: number): Promise<GrantedLease[]> {
    return this.db.transaction(() => {
      this.s.ensureVolunteer.run(q.volunteer);
      const inFlight = (this.s.inFlightOf.get(q.volunteer) as { n: number }).n;
      let room = Math.min(q.max, this.options.maxLeasesPerVolunteer - inFlight);
      const granted: GrantedLease[] = [];
      if (room <= 0) return granted;
      const trust = this.trustOf(q.volunteer);
      const open = [...this.jobs.values()].filter(
        (job) => job.state === 'active' && (!q.project || job.project === q.project),
      );
      for (const fit of leaseOrder(open, (job) => eligibility(job.definition.spec, q.capabilities))) {
        if (room <= 0) break;
        const { job } = fit;
        const def = job.definition;
        const deadline = now + def.leaseSeconds * 1000;
        const grant = (wu: CandidateRow, probe: boolean) => {
          const leaseId = Number(
            this.s.insertReplica.run(wu.id, wu.job, q.volunteer, now, deadline, fit.backend).lastInsertRowid,
          );
          if (!probe) {
            const quorum =
              wu.issued === 0
                ? quorumFor(trust, def.adaptive, def.redundancy.minQuorum, this.options.random)
                : wu.quorum;
            const next = { ...wu, quorum, in_flight: wu.in_flight + 1, issued: wu.issued + 1, state: 'in_progress' };
            next.need = replicasWanted(counts(next), def.redundancy);
            if (def.redundancy.homogeneous && next.hr_class === null) next.hr_class = fit.backend;
            this.writeProgress(next);
          }
          granted.push({
            lease: leaseId,
            workUnit: wu.id,
            job: job.id,
            backend: fit.backend,
            deadline,
            inputHash: wu.input_hash,
            input: wu.input_bytes.length <= this.options.inlineInputBytes ? new Uint8Array(wu.input_bytes) : null,
            tag: probe ? null : wu.tag,
          });
          room--;
        };
        if (def.knownAnswerRate > 0) {
          let probes: CandidateRow[] | null = null;
          for (let i = 0; i < room; i++) {
            if (this.options.random() >= def.knownAnswerRate) continue;
            probes ??= this.s.probes.all(job.id, q.volunteer) as CandidateRow[];
            const pick = probes.splice(Math.floor(this.options.random() * probes.length), 1)[0];
            if (pick) grant(pick, true);
          }
        }
        if (room <= 0) break;
        const rows = this.s.candidates.all(job.id, fit.backend, q.volunteer, room) as CandidateRow[];
        for (const wu of rows) grant(wu, false);
      }
      if (granted.length > 0) this.s.countLeased.run(granted.length, q.volunteer);
      return granted;
    })();
  }

  async heartbeat(volunteer: string, leases: readonly number[], now: number): Promise<HeartbeatRow[]> {
    return this.db.transaction(() =>
      leases.map((id) => {
        const r = this.s.replica.get(id) as ReplicaRow | undefined;
        if (!r || r.volunteer !== volunteer) return { lease: id, deadline: null, state: 'unknown' };
        if (r.state !== 'leased' || r.deadline < now)
          return { lease: id, deadline: null, state: r.deadline < now && r.state === 'leased' ? 'expired' : r.state };
        const job = this.requireJob(r.job as JobId);
        const deadline = now + job.definition.leaseSeconds * 1000;
        this.db.prepare('UPDATE replicas SET deadline = ? WHERE id = ?').run(deadline, id);
        return { lease: id, deadline, state: 'leased' };
      }),
    )();
  }

  // ---- results ----

  async submit(volunteer: string, items: readonly SubmitItem[], now: number): Promise<Result<SubmitResponse>> {
    let log = this.logCount;
    let seq = this.resultSeq;
    const tx = this.db.transaction(() =>
      this.tallied(() => {
        let accepted = 0;
        let repeated = 0;
        for (const [index, item] of items.entries()) {
          const r = this.s.replica.get(item.lease) as ReplicaRow | undefined;
          const reject: (code: Failure['code'], message: string) => never = (code, message) => {
            throw new Rejection({ code, message: `results[${index}]: ${message}`, index });
          };
          if (!r) reject('not_found', `no lease ls_${item.lease}`);
          if (r.volunteer !== volunteer) reject('lease_foreign', `lease ls_${item.lease} belongs to another volunteer`);
          if (r.state !== 'leased') {
            if (r.state === 'expired')
              reject('lease_expired', `lease ls_${item.lease} expired before its result arrived`);
            const same = item.kind === 'ok' ? r.output_hash === item.outputHash : r.error_code === item.code;
            if (same) {
              repeated++;
              continue;
            }
            reject('duplicate_result', `lease ls_${item.lease} already returned a different result`);
          }
          if (r.deadline < now) reject('lease_expired', `lease ls_${item.lease} expired before its result arrived`);
          const job = this.requireJob(r.job as JobId);
          if (job.state === 'cancelled') reject('job_not_active', `job ${job.id} was cancelled`);
          if (item.kind === 'ok') {
            const size = ioSizes(job.definition.spec).output;
            if (item.output.length !== size)
              reject('bad_request', `output is ${item.output.length} bytes; the job's outputs total ${size}`);
          }
          const wu = this.s.wu.get(r.wu) as WorkUnitRow;
          const account = this.account(volunteer);
          account.returned++;
          if (item.kind === 'error') account.errors++;
          if (item.kind === 'error') {
            this.s.setError.run(now, item.code, item.message, r.id);
            this.onError(job, wu, volunteer, now, () => ++seq);
          } else {
            this.s.setReturned.run(now, item.outputHash, item.output, item.backend, r.id);
            const ctx = { job, now, nextLog: () => log++, nextSeq: () => ++seq };
            if (wu.state === 'probe') this.judgeProbe(ctx, wu, r.id, volunteer, item);
            else if (wu.state === 'validated') this.judgeLate(ctx, wu, r.id, volunteer, item);
            else if (wu.state === 'in_progress' || wu.state === 'unsent') this.judgeQuorum(ctx, wu);
            else {
              this.s.setReplicaState.run('superseded', r.id);
              this.writeProgress({ ...wu, in_flight: wu.in_flight - 1 });
            }
          }
          accepted++;
        }
        return { accepted, repeated };
      }),
    );
    try {
      const value = tx();
      this.logCount = log;
      this.resultSeq = seq;
      return ok(value);
    } catch (e) {
      if (e instanceof Rejection) return { ok: false, error: e.failure };
      throw e;
    } finally {
      this.refreshStates(this.finished);
    }
  }

  private judgeQuorum(ctx: VerdictContext, wu: WorkUnitRow): void {
    const def = ctx.job.definition;
    const results = (this.s.returned.all(wu.id) as ReturnedSqlRow[]).map(toReturned);
    const outcome = validate(results, wu.quorum, def.comparator, def.redundancy.homogeneous);
    const inFlight = wu.in_flight - 1;
    if (outcome.kind === 'canonical') {
      const c = outcome.canonical;
      for (const id of outcome.valid) {
        const r = results.find((x) => x.replica === id) as ReturnedResult;
        this.credit(ctx, wu.id, id, r.volunteer, c.outputHash);
        if (id !== c.replica) this.s.dropOutput.run(id);
      }
      for (const id of outcome.invalid) {
        const r = results.find((x) => x.replica === id) as ReturnedResult;
        this.discredit(id, r.volunteer, 'invalid');
        this.s.dropOutput.run(id);
      }
      this.writeWu({
        ...wu,
        state: 'validated',
        in_flight: inFlight,
        need: 0,
        agree: outcome.valid.length,
        canonical_replica: c.replica,
        output_hash: c.outputHash,
        finished_at: ctx.now,
        result_seq: ctx.nextSeq(),
      });
      return;
    }
    const next = { ...wu, in_flight: inFlight, agree: outcome.largestGroup };
    this.settle(ctx.job, next, ctx.now, ctx.nextSeq);
  }

  /** After a replica ends without validating the work unit: issue more, or fail it for good. */
  private settle(job: JobRecord, wu: WorkUnitRow, now: number, nextSeq: () => number): void {
    const limits = job.definition.redundancy;
    const reason = failureReason(counts(wu), limits);
    if (reason) {
      for (const r of this.s.returned.all(wu.id) as ReturnedSqlRow[]) this.s.setReplicaState.run('superseded', r.id);
      this.writeWu({ ...wu, state: 'failed', need: 0, reason, finished_at: now, result_seq: nextSeq() });
      return;
    }
    this.writeProgress({ ...wu, need: replicasWanted(counts(wu), limits) });
  }

  private onError(job: JobRecord, wu: WorkUnitRow, volunteer: string, now: number, nextSeq: () => number): void {
    this.applyTrust(volunteer, 'error');
    if (wu.state === 'probe') return;
    if (wu.state !== 'in_progress' && wu.state !== 'unsent') {
      this.writeProgress({ ...wu, in_flight: wu.in_flight - 1 });
      return;
    }
    // A trusted volunteer's unreplicated work unit that errs goes back to a full quorum.
    const quorum = Math.max(wu.quorum, job.definition.redundancy.minQuorum);
    this.settle(job, { ...wu, quorum, in_flight: wu.in_flight - 1, errors: wu.errors + 1 }, now, nextSeq);
  }

  private judgeProbe(ctx: VerdictContext, wu: WorkUnitRow, replica: number, volunteer: string, item: OkItem): void {
    const expected = this.s.getBlob.get(wu.expected_hash) as { bytes: Buffer };
    const good = agree(
      ctx.job.definition.comparator,
      { outputHash: item.outputHash, output: item.output },
      { outputHash: wu.expected_hash as string, output: new Uint8Array(expected.bytes) },
    );
    this.s.dropOutput.run(replica);
    if (good) this.credit(ctx, wu.id, replica, volunteer, item.outputHash);
    else this.discredit(replica, volunteer, 'known_answer_failed');
  }

  /** A replica returned after its work unit validated: judged against the canonical result. */
  private judgeLate(ctx: VerdictContext, wu: WorkUnitRow, replica: number, volunteer: string, item: OkItem): void {
    const canonical = this.s.replicaOutput.get(wu.canonical_replica) as { output: Buffer | null };
    const good =
      canonical.output !== null &&
      agree(
        ctx.job.definition.comparator,
        { outputHash: item.outputHash, output: item.output },
        { outputHash: wu.output_hash as string, output: new Uint8Array(canonical.output) },
      );
    this.s.dropOutput.run(replica);
    this.writeProgress({ ...wu, in_flight: wu.in_flight - 1 });
    if (good) this.credit(ctx, wu.id, replica, volunteer, wu.output_hash as string);
    else this.discredit(replica, volunteer, 'invalid');
  }

  private credit(ctx: VerdictContext, wu: number, replica: number, volunteer: string, outputHash: string): void {
    const amount = ctx.job.definition.costPerWorkUnit;
    this.s.setReplicaState.run('valid', replica);
    const account = this.account(volunteer);
    account.valid++;
    account.credit += amount;
    const credits = this.jobCredits as Map<string, number>;
    credits.set(ctx.job.id, (credits.get(ctx.job.id) ?? 0) + amount);
    this.applyTrust(volunteer, 'valid');
    const index = ctx.nextLog();
    const body: ReceiptBody = {
      v: 1,
      type: 'credit',
      log: this.logKey,
      index,
      volunteer: volunteer as ReceiptBody['volunteer'],
      project: ctx.job.project,
      job: ctx.job.id,
      workUnit: workUnitId(wu),
      outputHash: outputHash as ReceiptBody['outputHash'],
      credit: amount,
      at: ctx.now,
    };
    const json = canonicalJson(body);
    this.s.insertReceipt.run(index, volunteer, json);
    appendLeaf(this.merkle, index, leafHashSync(Buffer.from(json, 'utf8')));
  }

  private discredit(replica: number, volunteer: string, event: TrustEvent): void {
    this.s.setReplicaState.run('invalid', replica);
    this.account(volunteer).invalid++;
    this.applyTrust(volunteer, event);
  }

  private trustOf(volunteer: string): TrustRecord {
    const pending = this.tally?.get(volunteer);
    if (pending) return pending.trust;
    const v = this.s.volunteer.get(volunteer) as { consecutive_valid: number; flagged: number } | undefined;
    return { consecutiveValid: v?.consecutive_valid ?? 0, flagged: (v?.flagged ?? 0) === 1 };
  }

  /** This transaction's running account of a volunteer (only inside `tallied`). */
  private account(volunteer: string): VolunteerDelta {
    const tally = this.tally;
    if (!tally) throw new Error('volunteer counters changed outside a tallied transaction');
    let delta = tally.get(volunteer);
    if (!delta) {
      delta = { returned: 0, errors: 0, valid: 0, invalid: 0, credit: 0, trust: this.trustOf(volunteer) };
      tally.set(volunteer, delta);
    }
    return delta;
  }

  private applyTrust(volunteer: string, event: TrustEvent): void {
    const account = this.account(volunteer);
    account.trust = nextTrust(account.trust, event);
  }

  /**
   * Runs `work` (already inside a transaction) gathering counter and trust changes, then writes each
   * volunteer's and each job's once: a batch of 200 results touches a volunteer row once, not 200 times.
   */
  private tallied<T>(work: () => T): T {
    this.tally = new Map();
    this.jobCredits = new Map();
    this.finished = new Set();
    try {
      const value = work();
      this.completeFinished();
      for (const [key, d] of this.tally) {
        this.s.flushVolunteer.run(
          d.returned,
          d.errors,
          d.valid,
          d.invalid,
          d.credit,
          d.trust.consecutiveValid,
          d.trust.flagged ? 1 : 0,
          key,
        );
      }
      for (const [job, credit] of this.jobCredits) this.s.jobCredit.run(credit, job);
      return value;
    } finally {
      this.tally = null;
      this.jobCredits = null;
    }
  }

  async expireLeases(now: number): Promise<number> {
    let total = 0;
    for (;;) {
      let seq = this.resultSeq;
      const n = this.db.transaction(() =>
        this.tallied(() => {
          const rows = this.s.expired.all(now) as { id: number; wu: number; volunteer: string }[];
          for (const r of rows) {
            this.s.setReplicaState.run('expired', r.id);
            const wu = this.s.wu.get(r.wu) as WorkUnitRow;
            const job = this.requireJob(wu.job as JobId);
            const account = this.account(r.volunteer);
            account.returned++;
            account.errors++;
            // A lease that runs out counts as an error result, as BOINC counts "no reply".
            this.onError(job, wu, r.volunteer, now, () => ++seq);
          }
          return rows.length;
        }),
      )();
      this.resultSeq = seq;
      this.refreshStates(this.finished);
      total += n;
      if (n < 1000) return total;
    }
  }

  async markAlive(now: number): Promise<void> {
    this.s.putMeta.run(ALIVE_AT, Buffer.from(String(now)));
  }

  async resumeLeases(now: number): Promise<{ readonly downtimeMs: number; readonly extended: number }> {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(ALIVE_AT) as
        | { value: Buffer }
        | undefined;
      const aliveAt = row ? Number(row.value.toString()) : Number.NaN;
      // Recorded at once, so that a crash before the first sweep cannot make the next start add it again.
      this.s.putMeta.run(ALIVE_AT, Buffer.from(String(now)));
      const downtimeMs = now - aliveAt;
      if (!Number.isSafeInteger(aliveAt) || !(downtimeMs > 0)) return { downtimeMs: 0, extended: 0 };
      const extended = this.db
        .prepare("UPDATE replicas SET deadline = deadline + ? WHERE state = 'leased' AND deadline >= ?")
        .run(downtimeMs, aliveAt).changes;
      return { downtimeMs, extended };
    })();
  }

  async volunteerStats(volunteer: string): Promise<VolunteerStats> {
    const v = this.s.volunteer.get(volunteer) as VolunteerSqlRow | undefined;
    const pending = (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM replicas WHERE volunteer = ? AND state = 'returned'")
        .get(volunteer) as {
        n: number;
      }
    ).n;
    return {
      volunteer: volunteer as VolunteerStats['volunteer'],
      leased: v?.leased ?? 0,
      returned: v?.returned ?? 0,
      valid: v?.valid ?? 0,
      invalid: v?.invalid ?? 0,
      errors: v?.errors ?? 0,
      pending,
      credit: v?.credit ?? 0,
      consecutiveValid: v?.consecutive_valid ?? 0,
      flagged: (v?.flagged ?? 0) === 1,
    };
  }

  async isVolunteer(volunteer: string): Promise<boolean> {
    return this.s.volunteer.get(volunteer) !== undefined;
  }

  // The `challenges` table once held issued challenges; challenges are stateless now (http/challenges.ts)
  // and it holds the nonces of used ones. Rows an older version left are pruned like any other at expiry.
  async consumeChallenge(nonce: string, volunteer: string, expiresAt: number, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM challenges WHERE expires_at < ?').run(now);
      const fresh = this.db
        .prepare('INSERT OR IGNORE INTO challenges (challenge, volunteer, expires_at) VALUES (?, ?, ?)')
        .run(nonce, volunteer, expiresAt).changes;
      if (fresh === 0) return false;
      this.s.ensureVolunteer.run(volunteer);
      return true;
    })();
  }

  // ---- results and the log ----

  async results(job: JobId, after: number, limit: number): Promise<ResultRow[]> {
    const rows = this.db
      .prepare(
        `SELECT w.id, w.tag, w.state, w.output_hash, r.output, w.reason, w.finished_at, w.result_seq
         FROM work_units w LEFT JOIN replicas r ON r.id = w.canonical_replica
         WHERE w.job = ? AND w.result_seq > ? ORDER BY w.result_seq LIMIT ?`,
      )
      .all(job, after, limit) as ResultSqlRow[];
    return rows.map((r) => ({
      cursor: r.result_seq,
      workUnit: r.id,
      tag: r.tag,
      state: r.state === 'validated' ? 'validated' : 'failed',
      outputHash: r.output_hash,
      output: r.output ? new Uint8Array(r.output) : null,
      reason: r.reason,
      at: r.finished_at,
    }));
  }

  async receiptsFor(volunteer: string, after: number, limit: number): Promise<StoredReceipt[]> {
    const rows = this.db
      .prepare('SELECT idx, body, signature FROM receipts WHERE volunteer = ? AND idx > ? ORDER BY idx LIMIT ?')
      .all(volunteer, after, limit) as ReceiptSqlRow[];
    return rows.map(toStoredReceipt);
  }

  async receiptAt(index: number): Promise<StoredReceipt | null> {
    const row = this.db.prepare('SELECT idx, body, signature FROM receipts WHERE idx = ?').get(index) as
      | ReceiptSqlRow
      | undefined;
    return row ? toStoredReceipt(row) : null;
  }

  async setReceiptSignatures(signatures: ReadonlyMap<number, string>): Promise<void> {
    const set = this.db.prepare('UPDATE receipts SET signature = ? WHERE idx = ? AND signature IS NULL');
    this.db.transaction(() => {
      for (const [idx, sig] of signatures) set.run(sig, idx);
    })();
  }

  async logSize(): Promise<number> {
    return this.logCount;
  }

  async logRoot(size: number): Promise<Uint8Array> {
    return rootAt(this.merkle, size);
  }

  async inclusionPath(index: number, size: number): Promise<Uint8Array[]> {
    return inclusionPath(this.merkle, index, size);
  }

  async consistencyPath(from: number, to: number): Promise<Uint8Array[]> {
    return consistencyPath(this.merkle, from, to);
  }

  async getMeta(key: string): Promise<Uint8Array | null> {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer } | undefined;
    return row ? new Uint8Array(row.value) : null;
  }

  async deleteMeta(key: string): Promise<void> {
    this.db.pragma('secure_delete = ON');
    try {
      this.db.prepare('DELETE FROM meta WHERE key = ?').run(key);
    } finally {
      this.db.pragma('secure_delete = OFF');
    }
    // The WAL may still hold pages as they were: copy it into the scrubbed file and empty it.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private requireJob(id: JobId): JobRecord {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`unknown job ${id}`);
    return job;
  }

  /** The counters and state of a work unit that has not finished: its result columns stay as they are. */
  private writeProgress(w: WorkUnitRow): void {
    this.s.updateProgress.run(w.state, w.quorum, w.need, w.in_flight, w.issued, w.errors, w.agree, w.hr_class, w.id);
  }

  private writeWu(
    w: WorkUnitRow & { reason?: string | null; finished_at?: number | null; result_seq?: number | null },
  ): void {
    if (w.state === 'validated' || w.state === 'failed') this.finished.add(w.job);
    this.s.updateWu.run(
      w.state,
      w.quorum,
      w.need,
      w.in_flight,
      w.issued,
      w.errors,
      w.agree,
      w.hr_class,
      w.canonical_replica,
      w.output_hash,
      w.reason ?? null,
      w.finished_at ?? null,
      w.result_seq ?? null,
      w.id,
    );
  }
}

interface VolunteerDelta {
  returned: number;
  errors: number;
  valid: number;
  invalid: number;
  credit: number;
  trust: TrustRecord;
}

interface VerdictContext {
  readonly job: JobRecord;
  readonly now: number;
  readonly nextLog: () => number;
  readonly nextSeq: () => number;
}
type OkItem = Extract<SubmitItem, { kind: 'ok' }>;

interface JobSqlRow {
  id: string;
  project: string;
  state: string;
  definition: string;
  created_at: number;
}
interface ProjectSqlRow {
  id: string;
  name: string;
  description: string;
  owner: string;
  created_at: number;
}
interface ReturnedSqlRow {
  id: number;
  volunteer: string;
  backend: string;
  output_hash: string;
  output: Buffer;
}
interface ResultSqlRow {
  id: number;
  tag: string | null;
  state: string;
  output_hash: string | null;
  output: Buffer | null;
  reason: string | null;
  finished_at: number;
  result_seq: number;
}
interface ErrorSqlRow {
  code: string;
  n: number;
  wu: number;
  message: string | null;
}
interface UploadKeySqlRow {
  body_hash: string;
  added: number;
  known_answer: number;
  first: number | null;
  last: number | null;
}
interface ReceiptSqlRow {
  idx: number;
  body: string;
  signature: string | null;
}
interface VolunteerSqlRow {
  consecutive_valid: number;
  flagged: number;
  leased: number;
  returned: number;
  valid: number;
  invalid: number;
  errors: number;
  credit: number;
}

const counts = (w: WorkUnitRow) => ({
  quorum: w.quorum,
  inFlight: w.in_flight,
  largestGroup: w.agree,
  issued: w.issued,
  errors: w.errors,
});

const toJobRecord = (row: JobSqlRow): JobRecord => ({
  id: row.id as JobId,
  project: row.project as ProjectId,
  state: row.state as JobState,
  definition: JSON.parse(row.definition),
  createdAt: row.created_at,
});

const toProject = (row: ProjectSqlRow): Project => ({
  id: row.id as ProjectId,
  name: row.name,
  description: row.description,
  owner: row.owner,
  createdAt: row.created_at,
});

const toReturned = (row: ReturnedSqlRow): ReturnedResult => ({
  replica: row.id,
  volunteer: row.volunteer,
  backend: row.backend as ReturnedResult['backend'],
  outputHash: row.output_hash,
  output: new Uint8Array(row.output.buffer, row.output.byteOffset, row.output.byteLength),
});

const summaryOf = (row: UploadKeySqlRow): BatchSummary => ({
  added: row.added,
  knownAnswer: row.known_answer,
  first: row.first,
  last: row.last,
});

const toStoredReceipt = (row: ReceiptSqlRow): StoredReceipt => ({
  index: row.idx,
  body: JSON.parse(row.body) as ReceiptBody,
  bodyJson: row.body,
  signature: row.signature,
});
