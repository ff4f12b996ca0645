import type { JobId, Project, ProjectId, VolunteerKey } from '@bricolage/protocol';
import type { ExportRequestRecord, ImportClaim } from '../records';
import { bytes, PROJECT, type ProjectRow, toProject } from '../record-rows';
import { chunks, type SqliteStatements } from './statements';
import type { ProjectRows, BlobRows } from '../persistence';

export const projectRows = (db: SqliteStatements): ProjectRows & BlobRows => ({
  async insertProject(p: Project, tokenHash: string): Promise<void> {
    db.statement(
      'INSERT INTO projects (id, name, description, owner, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(p.id, p.name, p.description, p.owner, tokenHash, p.createdAt);
  },

  async lockProject(): Promise<void> {
    // Nothing to do: this store runs its transactions one after another.
  },

  async projectByTokenHash(tokenHash: string): Promise<Project | null> {
    const row = db.statement(`${PROJECT} WHERE token_hash = ?`).get(tokenHash) as ProjectRow | undefined;
    return row ? toProject(row) : null;
  },

  async projects(): Promise<Project[]> {
    return (db.statement(`${PROJECT} ORDER BY created_at`).all() as ProjectRow[]).map(toProject);
  },

  async project(id: ProjectId): Promise<Project | null> {
    const row = db.statement(`${PROJECT} WHERE id = ?`).get(id) as ProjectRow | undefined;
    return row ? toProject(row) : null;
  },

  async insertProjectFunder(project: ProjectId, funder: VolunteerKey): Promise<void> {
    db.statement('INSERT INTO project_funders (project, funder) VALUES (?, ?)').run(project, funder);
  },

  async setProjectTokenHash(project: ProjectId, tokenHash: string): Promise<void> {
    db.statement('UPDATE projects SET token_hash = ? WHERE id = ?').run(tokenHash, project);
  },

  async projectFundedBy(funder: VolunteerKey): Promise<ProjectId | null> {
    return (
      (db.statement('SELECT project FROM project_funders WHERE funder = ?').pluck().get(funder) as ProjectId) ?? null
    );
  },

  async funderOf(project: ProjectId): Promise<VolunteerKey | null> {
    return (
      (db.statement('SELECT funder FROM project_funders WHERE project = ?').pluck().get(project) as VolunteerKey) ??
      null
    );
  },

  async claimImports(rows: readonly ImportClaim[]): Promise<ImportClaim[]> {
    const insert = db.statement(
      'INSERT OR IGNORE INTO imported_receipts (log, idx, volunteer, at) VALUES (?, ?, ?, ?)',
    );
    return rows.filter((r) => insert.run(r.log, r.index, r.volunteer, r.at).changes === 1);
  },

  async exportRequest(volunteer: VolunteerKey, requestId: string): Promise<ExportRequestRecord | null> {
    const row = db
      .statement('SELECT to_key, amount, idx, at FROM export_requests WHERE volunteer = ? AND request_id = ?')
      .get(volunteer, requestId) as { to_key: string; amount: number; idx: number; at: number } | undefined;
    return row ? { volunteer, requestId, to: row.to_key, amount: row.amount, index: row.idx, at: row.at } : null;
  },

  async insertExportRequest(r: ExportRequestRecord): Promise<void> {
    db.statement(
      'INSERT INTO export_requests (volunteer, request_id, to_key, amount, idx, at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(r.volunteer, r.requestId, r.to, r.amount, r.index, r.at);
  },

  async exportRequestClosed(volunteer: VolunteerKey, requestId: string): Promise<boolean> {
    return (
      db
        .statement('SELECT 1 FROM closed_export_requests WHERE volunteer = ? AND request_id = ?')
        .pluck()
        .get(volunteer, requestId) !== undefined
    );
  },

  async closeExportRequest(volunteer: VolunteerKey, requestId: string, at: number): Promise<void> {
    db.statement('INSERT INTO closed_export_requests (volunteer, request_id, at) VALUES (?, ?, ?)').run(
      volunteer,
      requestId,
      at,
    );
  },

  async unpaidReplicas(jobs: readonly JobId[]): Promise<number> {
    // A known-answer unit stays a probe whatever its replicas did, and a validated unit is paid for but for the
    // replicas it has out: what may still be debited of either is its replicas out. A unit paid for more than it
    // holds now (debited in full, replicas out included, by a coordinator before `charged`: the migration reads
    // what the log debited) owes nothing, and hides nothing another one owes.
    const sum = db
      .statement(
        `SELECT (SELECT COALESCE(SUM(MAX(issued - charged, 0)), 0) FROM work_units
                 WHERE job = ? AND state IN ('unsent', 'in_progress'))
          + (SELECT COUNT(*) FROM replicas r INDEXED BY replicas_job_leased JOIN work_units w ON w.id = r.wu
             WHERE r.job = ? AND r.state = 'leased' AND w.state IN ('probe', 'validated'))`,
      )
      .pluck();
    let total = 0;
    for (const job of jobs) total += sum.get(job, job) as number;
    return total;
  },

  async startedWant(job: JobId): Promise<number> {
    return db
      .statement(
        'SELECT COALESCE(SUM(need), 0) FROM work_units INDEXED BY work_units_started WHERE job = ? AND need > 0 AND issued > 0',
      )
      .pluck()
      .get(job) as number;
  },

  async embeddingOrigins(project: ProjectId): Promise<string[]> {
    return db
      .statement('SELECT origin FROM project_embedding WHERE project = ? ORDER BY origin')
      .pluck()
      .all(project) as string[];
  },

  async replaceEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void> {
    db.statement('DELETE FROM project_embedding WHERE project = ?').run(project);
    const add = db.statement('INSERT OR IGNORE INTO project_embedding (project, origin) VALUES (?, ?)');
    for (const origin of origins) add.run(project, origin);
  },

  async blob(hash: string): Promise<Uint8Array | null> {
    const row = db.statement('SELECT bytes FROM blobs WHERE hash = ?').get(hash) as { bytes: Buffer } | undefined;
    return row ? bytes(row.bytes) : null;
  },

  async blobSize(hash: string): Promise<number | null> {
    return (
      (db.statement('SELECT length(bytes) AS n FROM blobs WHERE hash = ?').get(hash) as { n: number } | undefined)?.n ??
      null
    );
  },

  async blobs(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    const found = new Map<string, Uint8Array>();
    for (const chunk of chunks(hashes))
      for (const r of db
        .sized('blobs', chunk.length, 'SELECT hash, bytes FROM blobs WHERE hash IN ($ROWS)')
        .all(...chunk) as { hash: string; bytes: Buffer }[])
        found.set(r.hash, bytes(r.bytes));
    return found;
  },
});
