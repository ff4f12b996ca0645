import type { JobId, LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import type {
  Candidate,
  HeldLease,
  NewReplica,
  ReplicaChange,
  ReplicaInContext,
  ProbeResult,
  ReplicaRecord,
  ReturnedRow,
  DecidedUnit,
  UnitHolder,
  VolunteerDelta,
  VolunteerRecord,
  RetakeUnit,
  WindowUnits,
  WorkUnitChange,
} from '../records';
import { byShape } from '../change-shapes';
import {
  HELD,
  type HeldSqlRow,
  IN_CONTEXT,
  LATEST,
  type ReplicaSqlRow,
  toHeld,
  toReplica,
  UNIT,
} from '../replica-rows';
import { RESULTS_SQL, type ResultSqlRow, toResultRow } from '../result-rows';
import type { ResultRow } from '../store';
import {
  bytes,
  type CandidateRow,
  type HolderSqlRow,
  type InContextRow,
  PROBE_RESULTS_SQL,
  type ProbeResultSqlRow,
  type ReturnedSqlRow,
  toCandidate,
  toInContext,
  toOrigin,
  toProbeResult,
  toReturned,
  toUnit,
  toVolunteer,
  type UnitRow,
  type VolunteerRow,
} from '../record-rows';
import { bindable, UNIT_COLUMNS, REPLICA_COLUMNS } from './sqlite-rows';
import { chunks, type SqliteStatements } from './statements';
import type { LeaseRows, ResultRows } from '../persistence';

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

export const leaseRows = (db: SqliteStatements): LeaseRows & ResultRows => ({
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

  async replicasInContext(leases: readonly LeaseNumber[]): Promise<ReplicaInContext[]> {
    const rows: ReplicaInContext[] = [];
    for (const chunk of chunks([...new Set(leases)]))
      for (const row of db
        .sized('inContext', chunk.length, `${IN_CONTEXT} WHERE r.id IN ($ROWS)`)
        .all(...chunk) as InContextRow[])
        rows.push(toInContext(row));
    // Lowest unit first over all the chunks, as the contract says (and Postgres locks them).
    return rows.sort((a, b) => a.workUnit.id - b.workUnit.id || a.replica.id - b.replica.id);
  },

  async leasedOfJobs(volunteer: VolunteerKey, jobs: readonly JobId[]): Promise<ReplicaInContext[]> {
    if (jobs.length === 0) return [];
    // Each job's leases of the key, from replicas_job_leased (job, volunteer): no index follows a key's leases alone.
    return (
      db
        .sized(
          'leasedOfJobs',
          jobs.length,
          `${IN_CONTEXT} WHERE r.job IN ($ROWS) AND r.volunteer = ? AND r.state = 'leased' ORDER BY w.id, r.id`,
        )
        .all(...jobs, volunteer) as InContextRow[]
    ).map(toInContext);
  },

  async expiredInContext(now: number, limit: number): Promise<ReplicaInContext[]> {
    return (
      db
        .statement(`${IN_CONTEXT} WHERE r.state = 'leased' AND r.deadline < ? ORDER BY r.deadline, r.id LIMIT ?`)
        .all(now, limit) as InContextRow[]
    ).map(toInContext);
  },

  async returnedFor(units: readonly WorkUnitNumber[]): Promise<ReturnedRow[]> {
    const rows: ReturnedRow[] = [];
    for (const chunk of chunks(units))
      for (const r of db
        .sized(
          'returnedFor',
          chunk.length,
          `SELECT r.id, r.wu, r.volunteer, r.backend, r.output_hash, r.output, r.returned_at - r.leased_at AS held,
           COALESCE(v.voting, 1) AS voting
         FROM replicas r LEFT JOIN volunteers v ON v.key = r.volunteer
         WHERE r.wu IN ($ROWS) AND r.state = 'returned' ORDER BY r.wu, r.returned_at, r.id`,
        )
        .all(...chunk) as ReturnedSqlRow[])
        rows.push(toReturned(r));
    return rows;
  },

  async probeResults(unit: WorkUnitNumber): Promise<ProbeResult[]> {
    return (db.statement(PROBE_RESULTS_SQL('?')).all(unit) as ProbeResultSqlRow[]).map(toProbeResult);
  },

  async singleResultsOf(volunteer: VolunteerKey, since: number, limit: number): Promise<DecidedUnit[]> {
    const rows = db
      .statement(
        `SELECT ${UNIT}, w.finished_at AS validated_at
       FROM work_units w
         JOIN replicas r ON r.id = w.canonical_replica JOIN jobs j ON j.id = w.job
       WHERE w.quorum = 1 AND w.state = 'validated' AND r.volunteer = ? AND w.finished_at >= ? AND j.state IN ('active', 'paused')
       ORDER BY w.finished_at DESC LIMIT ?`,
      )
      .all(volunteer, since, limit) as (UnitRow & { validated_at: number })[];
    return rows.map((r) => ({ workUnit: toUnit(r), validatedAt: r.validated_at }));
  },

  async quorumVotesOf(volunteer: VolunteerKey, limit: number): Promise<DecidedUnit[]> {
    const rows = db
      .statement(
        `SELECT ${UNIT}, w.finished_at AS validated_at
       FROM replicas r JOIN work_units w ON w.id = r.wu JOIN jobs j ON j.id = w.job
       WHERE r.volunteer = ? AND r.state = 'valid' AND w.state = 'validated' AND w.quorum >= 2 AND w.agree <= w.quorum
         AND j.state IN ('active', 'paused')
       ORDER BY r.id DESC LIMIT ?`,
      )
      .all(volunteer, limit) as (UnitRow & { validated_at: number })[];
    return rows.map((r) => ({ workUnit: toUnit(r), validatedAt: r.validated_at }));
  },

  async outputsOf(replicas: readonly LeaseNumber[]): Promise<Map<LeaseNumber, Uint8Array>> {
    const found = new Map<LeaseNumber, Uint8Array>();
    for (const chunk of chunks(replicas))
      for (const r of db
        .sized('outputsOf', chunk.length, 'SELECT id, output FROM replicas WHERE id IN ($ROWS)')
        .all(...chunk) as { id: number; output: Buffer | null }[])
        if (r.output) found.set(r.id as LeaseNumber, bytes(r.output));
    return found;
  },

  async replicas(ids: readonly LeaseNumber[]): Promise<ReplicaRecord[]> {
    const of = db.statement(
      'SELECT id, wu, job, volunteer, state, leased_at, paused_ms, deadline, output_hash, error_code FROM replicas WHERE id = ?',
    );
    const rows: ReplicaRecord[] = [];
    for (const id of new Set(ids)) {
      const r = of.get(id) as ReplicaSqlRow | undefined;
      if (r) rows.push(toReplica(r));
    }
    return rows;
  },

  async updateReplicas(changes: readonly { id: LeaseNumber; set: ReplicaChange }[]): Promise<void> {
    updateByShape(db, 'replicas', REPLICA_COLUMNS, changes);
  },

  async updateWorkUnits(changes: readonly { id: WorkUnitNumber; set: WorkUnitChange }[]): Promise<void> {
    updateByShape(db, 'work_units', UNIT_COLUMNS, changes);
  },

  async addVolunteerCounts(deltas: readonly VolunteerDelta[]): Promise<void> {
    const add = db.statement(
      `UPDATE volunteers SET leased = leased + ?, returned = returned + ?, pending = pending + ?, errors = errors + ?,
         valid = valid + ?, invalid = invalid + ?, credit = credit + ?, spent = spent + ?, own_credit = own_credit + ?
       WHERE key = ?`,
    );
    // The standing as folded on the row this transaction holds (steps/recheck.ts): written whole.
    const stand = db.statement(
      `UPDATE volunteers SET rep_record = ?, rep_probes = ?, rep_at = ?, trusted_since = ?, strikes = ?, rep_caught = ?,
         voting = ?, error_allowance = ?, error_allowance_at = ? WHERE key = ?`,
    );
    for (const d of deltas) {
      add.run(d.leased, d.returned, d.pending, d.errors, d.valid, d.invalid, d.credit, d.spent, d.ownCredit, d.key);
      const s = d.standing;
      if (s) {
        const r = s.reputation;
        stand.run(
          r.record,
          r.probesPassed,
          r.at,
          r.trustedSince,
          r.strikes,
          r.caught,
          r.voting ? 1 : 0,
          s.budget.allowance,
          s.budget.at,
          d.key,
        );
      }
    }
  },

  async extendLiveLeases(since: number, by: number): Promise<number> {
    return db
      .statement(
        "UPDATE replicas SET deadline = deadline + ?, paused_ms = paused_ms + ? WHERE state = 'leased' AND deadline >= ?",
      )
      .run(by, by, since).changes;
  },

  async results(job: JobId, after: number, limit: number): Promise<ResultRow[]> {
    const rows = db.statement(RESULTS_SQL(['?', '?', '?'])).all(job, after, limit) as ResultSqlRow<Buffer>[];
    return rows.map((r) => toResultRow(r, bytes));
  },
});

/** One UPDATE … FROM (VALUES …) per set of changed columns: only those columns, up to ROWS rows a statement. */
function updateByShape<C extends object>(
  db: SqliteStatements,
  table: string,
  columns: Record<keyof C, string>,
  changes: readonly { id: number; set: C }[],
): void {
  for (const [key, { fields, rows }] of byShape(changes)) {
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
        db.statement(`UPDATE ${table} SET ${one} WHERE id = ?`).run(...rest, id);
        continue;
      }
      const update = db.sized(
        `update ${table} ${key}`,
        chunk.length,
        `UPDATE ${table} SET ${set} FROM (VALUES $ROWS) AS v WHERE ${table}.id = v.column1`,
        row,
      );
      update.run(...values);
    }
  }
}
