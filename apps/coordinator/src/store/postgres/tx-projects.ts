import type { JobId, Project, ProjectId, VolunteerKey } from '@bricolage/protocol';
import type { ExportRequestRecord, ImportClaim } from '../records';
import { bytes, PROJECT, type ProjectRow, toProject } from '../record-rows';
import type { ProjectRows, BlobRows } from '../persistence';
import type { PgQueries } from './queries';

export const projectRows = (db: PgQueries): ProjectRows & BlobRows => ({
  async insertProject(p: Project, tokenHash: string): Promise<void> {
    await db.q(
      'INSERT INTO projects (id, name, description, owner, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [p.id, p.name, p.description, p.owner, tokenHash, p.createdAt],
    );
  },

  async lockProject(id: ProjectId): Promise<void> {
    await db.q('SELECT id FROM projects WHERE id = $1 FOR UPDATE', [id]);
  },

  async projectByTokenHash(tokenHash: string): Promise<Project | null> {
    const row = await db.one<ProjectRow>(`${PROJECT} WHERE token_hash = $1`, [tokenHash]);
    return row ? toProject(row) : null;
  },

  async projects(): Promise<Project[]> {
    return (await db.q<ProjectRow>(`${PROJECT} ORDER BY created_at`)).map(toProject);
  },

  async project(id: ProjectId): Promise<Project | null> {
    const row = await db.one<ProjectRow>(`${PROJECT} WHERE id = $1`, [id]);
    return row ? toProject(row) : null;
  },

  async insertProjectFunder(project: ProjectId, funder: VolunteerKey): Promise<void> {
    await db.q('INSERT INTO project_funders (project, funder) VALUES ($1, $2)', [project, funder]);
  },

  async setProjectTokenHash(project: ProjectId, tokenHash: string): Promise<void> {
    await db.q('UPDATE projects SET token_hash = $1 WHERE id = $2', [tokenHash, project]);
  },

  async projectFundedBy(funder: VolunteerKey): Promise<ProjectId | null> {
    return (
      (await db.one<{ project: ProjectId }>('SELECT project FROM project_funders WHERE funder = $1', [funder]))
        ?.project ?? null
    );
  },

  async funderOf(project: ProjectId): Promise<VolunteerKey | null> {
    return (
      (await db.one<{ funder: VolunteerKey }>('SELECT funder FROM project_funders WHERE project = $1', [project]))
        ?.funder ?? null
    );
  },

  async claimImports(rows: readonly ImportClaim[]): Promise<ImportClaim[]> {
    if (rows.length === 0) return [];
    const claimed = await db.q<{ log: string; idx: string }>(
      `INSERT INTO imported_receipts (log, idx, volunteer, at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
       ON CONFLICT DO NOTHING RETURNING log, idx`,
      [rows.map((r) => r.log), rows.map((r) => r.index), rows.map((r) => r.volunteer), rows.map((r) => r.at)],
    );
    const got = new Set(claimed.map((c) => `${c.log}/${Number(c.idx)}`));
    return rows.filter((r) => got.has(`${r.log}/${r.index}`));
  },

  async exportRequest(volunteer: VolunteerKey, requestId: string): Promise<ExportRequestRecord | null> {
    const row = await db.one<{ to_key: string; amount: number; idx: number; at: number }>(
      'SELECT to_key, amount, idx, at FROM export_requests WHERE volunteer = $1 AND request_id = $2',
      [volunteer, requestId],
    );
    return row ? { volunteer, requestId, to: row.to_key, amount: row.amount, index: row.idx, at: row.at } : null;
  },

  async insertExportRequest(r: ExportRequestRecord): Promise<void> {
    await db.q(
      'INSERT INTO export_requests (volunteer, request_id, to_key, amount, idx, at) VALUES ($1, $2, $3, $4, $5, $6)',
      [r.volunteer, r.requestId, r.to, r.amount, r.index, r.at],
    );
  },

  async exportRequestClosed(volunteer: VolunteerKey, requestId: string): Promise<boolean> {
    const row = await db.one('SELECT 1 FROM closed_export_requests WHERE volunteer = $1 AND request_id = $2', [
      volunteer,
      requestId,
    ]);
    return row !== undefined;
  },

  async closeExportRequest(volunteer: VolunteerKey, requestId: string, at: number): Promise<void> {
    await db.q('INSERT INTO closed_export_requests (volunteer, request_id, at) VALUES ($1, $2, $3)', [
      volunteer,
      requestId,
      at,
    ]);
  },

  async unpaidReplicas(jobs: readonly JobId[]): Promise<number> {
    if (jobs.length === 0) return 0;
    // A known-answer unit stays a probe whatever its replicas did, and a validated unit is paid for but for the
    // replicas it has out: what may still be debited of either is its replicas out. A unit paid for more than it
    // holds now (see the SQLite store) owes nothing.
    const row = await db.one<{ n: string }>(
      `SELECT (SELECT COALESCE(SUM(GREATEST(issued - charged, 0)), 0) FROM work_units
               WHERE job = ANY($1::text[]) AND state IN ('unsent', 'in_progress'))
        + (SELECT COUNT(*) FROM replicas r JOIN work_units w ON w.id = r.wu
           WHERE r.job = ANY($1::text[]) AND r.state = 'leased' AND w.state IN ('probe', 'validated')) AS n`,
      [jobs],
    );
    return Number(row?.n ?? 0);
  },

  async startedWant(job: JobId): Promise<number> {
    const row = await db.one<{ n: string }>(
      'SELECT COALESCE(SUM(need), 0) AS n FROM work_units WHERE job = $1 AND need > 0 AND issued > 0',
      [job],
    );
    return Number(row?.n ?? 0);
  },

  async embeddingOrigins(project: ProjectId): Promise<string[]> {
    const rows = await db.q<{ origin: string }>(
      'SELECT origin FROM project_embedding WHERE project = $1 ORDER BY origin COLLATE "C"',
      [project],
    );
    return rows.map((r) => r.origin);
  },

  async replaceEmbeddingOrigins(project: ProjectId, origins: readonly string[]): Promise<void> {
    await db.q('DELETE FROM project_embedding WHERE project = $1', [project]);
    await db.q(
      `INSERT INTO project_embedding (project, origin) SELECT $1, o FROM unnest($2::text[]) AS o
       ON CONFLICT DO NOTHING`,
      [project, origins],
    );
  },

  async blob(hash: string): Promise<Uint8Array | null> {
    const row = await db.one<{ bytes: Buffer }>('SELECT bytes FROM blobs WHERE hash = $1', [hash]);
    return row ? bytes(row.bytes) : null;
  },

  async blobSize(hash: string): Promise<number | null> {
    const row = await db.one<{ n: number }>('SELECT length(bytes) AS n FROM blobs WHERE hash = $1', [hash]);
    return row?.n ?? null;
  },

  async blobs(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    const rows = await db.q<{ hash: string; bytes: Buffer }>(
      'SELECT hash, bytes FROM blobs WHERE hash = ANY($1::text[])',
      [hashes],
    );
    return new Map(rows.map((r) => [r.hash, bytes(r.bytes)]));
  },
});
