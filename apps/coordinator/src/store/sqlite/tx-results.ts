// The rows results read and write (persistence.ts `ResultRows`): leases in context at a submit, a heartbeat or an
// expiry, the ballots of a unit, the changed columns of replicas and units, the keys' counters, a job's results.
import type { JobId, LeaseNumber, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import type {
  ReplicaChange,
  ReplicaInContext,
  ProbeResult,
  ReplicaRecord,
  ReturnedRow,
  DecidedUnit,
  VolunteerDelta,
  WorkUnitChange,
} from '../records';
import { byShape } from '../change-shapes';
import { IN_CONTEXT, type ReplicaSqlRow, toReplica, UNIT } from '../replica-rows';
import { RESULTS_SQL, type ResultSqlRow, toResultRow } from '../result-rows';
import type { ResultRow } from '../store';
import {
  bytes,
  type InContextRow,
  PROBE_RESULTS_SQL,
  type ProbeResultSqlRow,
  type ReturnedSqlRow,
  toInContext,
  toProbeResult,
  toReturned,
  toUnit,
  type UnitRow,
} from '../record-rows';
import { bindable, UNIT_COLUMNS, REPLICA_COLUMNS } from './sqlite-rows';
import { chunks, type SqliteStatements } from './statements';
import type { ResultRows } from '../persistence';

export const resultRows = (db: SqliteStatements): ResultRows => ({
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

  async validReplicasOf(units: readonly WorkUnitNumber[]) {
    const rows: { workUnit: WorkUnitNumber; replica: LeaseNumber }[] = [];
    for (const chunk of chunks(units))
      for (const r of db
        .sized('validReplicasOf', chunk.length, "SELECT id, wu FROM replicas WHERE wu IN ($ROWS) AND state = 'valid'")
        .all(...chunk) as { id: number; wu: number }[])
        rows.push({ workUnit: r.wu as WorkUnitNumber, replica: r.id as LeaseNumber });
    return rows.sort((a, b) => a.workUnit - b.workUnit || a.replica - b.replica);
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
