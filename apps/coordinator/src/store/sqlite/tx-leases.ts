// The rows a lease reads and writes (persistence.ts `LeaseRows`): the key's row, the windows of units a lease draws
// from, the drawn units with their inputs, the holders a draw keeps apart, the key's held leases, new replicas.
import type { JobId, LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import type {
  Candidate,
  HeldLease,
  NewReplica,
  UnitHolder,
  VolunteerRecord,
  RetakeUnit,
  WindowUnits,
} from '../records';
import { HELD, type HeldSqlRow, LATEST, toHeld, UNIT } from '../replica-rows';
import {
  type CandidateRow,
  type HolderSqlRow,
  toCandidate,
  toOrigin,
  toVolunteer,
  type VolunteerRow,
} from '../record-rows';
import { chunks, type SqliteStatements } from './statements';
import type { LeaseRows } from '../persistence';

/**
 * The index and condition of each kind of window: the started units from their own index (a funded job short of
 * credit may have a handful among a million wanting); units never issued from the window's, skipping the few
 * started ones.
 */
const WINDOW_SQL: Record<WindowUnits, { readonly index: string; readonly issued: string }> = {
  any: { index: 'work_units_window', issued: '' },
  started: { index: 'work_units_started', issued: 'AND w.issued > 0' },
  new: { index: 'work_units_window', issued: 'AND w.issued = 0' },
};

export const leaseRows = (db: SqliteStatements): LeaseRows => ({
  async lockVolunteer(key: VolunteerKey): Promise<VolunteerRecord> {
    // The group's transaction holds SQLite's one write lock already: reading the row is holding it. A key seen
    // before (every request but its first) costs one statement, not an INSERT OR IGNORE before it.
    const read = db.statement('SELECT * FROM volunteers WHERE key = ?');
    const row = read.get(key) as VolunteerRow | undefined;
    if (row) return toVolunteer(row);
    db.statement('INSERT INTO volunteers (key) VALUES (?)').run(key);
    return toVolunteer(read.get(key) as VolunteerRow);
  },

  async volunteer(key: VolunteerKey): Promise<VolunteerRecord | null> {
    const row = db.statement('SELECT * FROM volunteers WHERE key = ?').get(key) as VolunteerRow | undefined;
    return row ? toVolunteer(row) : null;
  },

  async leaseWindow(
    job: JobId,
    backend: string,
    volunteer: VolunteerKey,
    limit: number,
    after: WorkUnitNumber | 0,
    units: WindowUnits,
  ): Promise<WorkUnitNumber[]> {
    return db
      .statement(
        `SELECT w.id FROM work_units w INDEXED BY ${WINDOW_SQL[units].index}
       WHERE w.job = ? AND w.id > ? AND w.need > 0 ${WINDOW_SQL[units].issued} AND (w.hr_class IS NULL OR w.hr_class = ?)
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?)
       ORDER BY w.id LIMIT ?`,
      )
      .pluck()
      .all(job, after, backend, volunteer, limit) as WorkUnitNumber[];
  },

  async retakeWindow(
    job: JobId,
    backend: string,
    volunteer: VolunteerKey,
    limit: number,
    after: WorkUnitNumber | 0,
    units: WindowUnits,
    endedBy: readonly number[],
  ): Promise<RetakeUnit[]> {
    // From the key's own unanswered replicas (an index of those alone), not from the job's wanting units: the
    // latest of each unit, its wait read from `endedBy` by its attempt (none past the list: NULL compares false).
    return db
      .statement(
        `SELECT w.id AS workUnit, r.attempt + 1 AS attempt FROM replicas r INDEXED BY replicas_retakeable
         JOIN work_units w ON w.id = r.wu
       WHERE r.volunteer = ? AND r.job = ? AND r.state IN ('released', 'expired') AND r.wu > ?
         AND w.state <> 'probe' AND w.need > 0 ${WINDOW_SQL[units].issued} AND (w.hr_class IS NULL OR w.hr_class = ?)
         AND ${LATEST}
         AND COALESCE(r.returned_at, r.deadline) <= json_extract(?, '$[' || r.attempt || ']')
       ORDER BY r.wu LIMIT ?`,
      )
      .all(volunteer, job, after, backend, JSON.stringify(endedBy), limit) as RetakeUnit[];
  },

  async drawnUnits(units: readonly WorkUnitNumber[], inline: number): Promise<Candidate[]> {
    const found: Candidate[] = [];
    for (const chunk of chunks(units))
      for (const r of db
        .sized(
          'drawnUnits',
          chunk.length,
          `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= ? THEN b.bytes END AS input, w.tag AS tag
         FROM work_units w LEFT JOIN blobs b ON b.hash = w.input_hash
         WHERE w.id IN ($ROWS) ORDER BY w.id`,
        )
        .all(inline, ...chunk) as CandidateRow[])
        found.push(toCandidate(r));
    return found;
  },

  async inlineSizes(units: readonly WorkUnitNumber[], inline: number): Promise<(number | null)[]> {
    const sizes = new Map<number, number | null>();
    for (const chunk of chunks(units))
      for (const r of db
        .sized(
          'inlineSizes',
          chunk.length,
          `SELECT w.id, length(b.bytes) AS size FROM work_units w LEFT JOIN blobs b ON b.hash = w.input_hash
         WHERE w.id IN ($ROWS)`,
        )
        .all(...chunk) as { id: number; size: number | null }[])
        sizes.set(r.id, r.size !== null && r.size <= inline ? r.size : null);
    return units.map((u) => sizes.get(u) ?? null);
  },

  async holdersOf(units: readonly WorkUnitNumber[]): Promise<UnitHolder[]> {
    const rows: UnitHolder[] = [];
    for (const chunk of chunks(units))
      for (const r of db
        .sized(
          'holdersOf',
          chunk.length,
          `SELECT r.wu, r.volunteer, v.address, v.bucket, v.first_seen
         FROM replicas r LEFT JOIN volunteers v ON v.key = r.volunteer
         WHERE r.wu IN ($ROWS)`,
        )
        .all(...chunk) as HolderSqlRow[])
        rows.push({ workUnit: r.wu as WorkUnitNumber, volunteer: r.volunteer as VolunteerKey, origin: toOrigin(r) });
    return rows;
  },

  async heldByBucket(bucket: string): Promise<number> {
    const row = db
      .statement('SELECT COALESCE(SUM(leased - returned), 0) AS n FROM volunteers WHERE bucket = ?')
      .get(bucket) as { n: number };
    return row.n;
  },

  async heldLeases(
    volunteer: VolunteerKey,
    after: LeaseNumber | 0,
    now: number,
    limit: number,
    inline: number,
  ): Promise<HeldLease[]> {
    // Through each active job's leases (job, volunteer): no index follows a key's leases alone (schema.ts).
    const rows = db
      .statement(
        `SELECT ${HELD}, ${UNIT}, CASE WHEN length(b.bytes) <= ? THEN b.bytes END AS input, w.tag AS tag
       FROM jobs j JOIN replicas r INDEXED BY replicas_job_leased ON r.job = j.id
         JOIN work_units w ON w.id = r.wu LEFT JOIN blobs b ON b.hash = w.input_hash
       WHERE j.state = 'active' AND r.volunteer = ? AND r.state = 'leased' AND r.id > ? AND r.deadline >= ?
         AND w.state <> 'suspect'
       ORDER BY r.id LIMIT ?`,
      )
      .all(inline, volunteer, after, now, limit) as (CandidateRow & HeldSqlRow)[];
    return rows.map((r) => toHeld(r, toCandidate(r)));
  },

  async probeCandidates(job: JobId, volunteer: VolunteerKey, limit: number, inline: number): Promise<Candidate[]> {
    const rows = db
      .statement(
        `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= ? THEN b.bytes END AS input, w.tag AS tag
       FROM work_units w JOIN blobs b ON b.hash = w.input_hash
       WHERE w.job = ? AND w.state = 'probe'
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = ?)
       ORDER BY w.id LIMIT ?`,
      )
      .all(inline, job, volunteer, limit) as CandidateRow[];
    return rows.map(toCandidate);
  },

  async insertReplicas(rows: readonly NewReplica[]): Promise<LeaseNumber[]> {
    const ids = new Map<number, LeaseNumber>();
    for (const chunk of chunks(rows)) {
      const insert = db.sized(
        'insertReplicas',
        chunk.length,
        `INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, backend, attempt) VALUES $ROWS
         RETURNING id, wu`,
        "(?, ?, ?, 'leased', ?, ?, ?, ?)",
      );
      const values = chunk.flatMap((r) => [
        r.workUnit,
        r.job,
        r.volunteer,
        r.leasedAt,
        r.deadline,
        r.backend,
        r.attempt,
      ]);
      for (const r of insert.all(...values) as { id: number; wu: number }[]) ids.set(r.wu, r.id as LeaseNumber);
    }
    // One volunteer's leases name each unit once: the unit tells which id is whose, whatever the order.
    return rows.map((r) => ids.get(r.workUnit) as LeaseNumber);
  },
});
