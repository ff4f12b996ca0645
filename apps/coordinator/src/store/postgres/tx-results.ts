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
import { REPLICA_COLUMNS, UNIT_COLUMNS, type Column } from './pg-rows';
import type { ResultRows } from '../persistence';
import type { PgQueries } from './queries';

export const resultRows = (db: PgQueries): ResultRows => ({
  async replicasInContext(leases: readonly LeaseNumber[]): Promise<ReplicaInContext[]> {
    const rows = await db.q<InContextRow>(
      `${IN_CONTEXT} WHERE r.id = ANY($1::bigint[]) ORDER BY w.id, r.id FOR UPDATE OF r, w`,
      [[...new Set(leases)]],
    );
    return rows.map(toInContext);
  },

  async leasedOfJobs(volunteer: VolunteerKey, jobs: readonly JobId[]): Promise<ReplicaInContext[]> {
    if (jobs.length === 0) return [];
    const rows = await db.q<InContextRow>(
      `${IN_CONTEXT} WHERE r.volunteer = $1 AND r.state = 'leased' AND r.job = ANY($2::text[])
       ORDER BY w.id, r.id FOR UPDATE OF r, w`,
      [volunteer, [...jobs]],
    );
    return rows.map(toInContext);
  },

  async expiredInContext(now: number, limit: number): Promise<ReplicaInContext[]> {
    const rows = await db.q<InContextRow>(
      `${IN_CONTEXT} WHERE r.state = 'leased' AND r.deadline < $1 ORDER BY r.deadline, r.id LIMIT $2 FOR UPDATE OF r, w SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(toInContext);
  },

  async returnedFor(units: readonly WorkUnitNumber[]): Promise<ReturnedRow[]> {
    const rows = await db.q<ReturnedSqlRow>(
      `SELECT r.id, r.wu, r.volunteer, r.backend, r.output_hash, r.output, r.returned_at - r.leased_at AS held,
         COALESCE(v.voting, true) AS voting
       FROM replicas r LEFT JOIN volunteers v ON v.key = r.volunteer
       WHERE r.wu = ANY($1::bigint[]) AND r.state = 'returned' ORDER BY r.wu, r.returned_at, r.id`,
      [units],
    );
    return rows.map(toReturned);
  },

  async probeResults(unit: WorkUnitNumber): Promise<ProbeResult[]> {
    return (await db.q<ProbeResultSqlRow>(PROBE_RESULTS_SQL('$1'), [unit])).map(toProbeResult);
  },

  async singleResultsOf(volunteer: VolunteerKey, since: number, limit: number): Promise<DecidedUnit[]> {
    const rows = await db.q<UnitRow & { validated_at: number }>(
      `SELECT ${UNIT}, w.finished_at AS validated_at
       FROM work_units w JOIN replicas r ON r.id = w.canonical_replica JOIN jobs j ON j.id = w.job
       WHERE w.quorum = 1 AND w.state = 'validated' AND r.volunteer = $1 AND w.finished_at >= $2 AND j.state IN ('active', 'paused')
       ORDER BY w.finished_at DESC LIMIT $3 FOR UPDATE OF w`,
      [volunteer, since, limit],
    );
    return rows.map((r) => ({ workUnit: toUnit(r), validatedAt: r.validated_at }));
  },

  async quorumVotesOf(volunteer: VolunteerKey, limit: number): Promise<DecidedUnit[]> {
    const rows = await db.q<UnitRow & { validated_at: number }>(
      `SELECT ${UNIT}, w.finished_at AS validated_at
       FROM replicas r JOIN work_units w ON w.id = r.wu JOIN jobs j ON j.id = w.job
       WHERE r.volunteer = $1 AND r.state = 'valid' AND w.state = 'validated' AND w.quorum >= 2 AND w.agree <= w.quorum
         AND j.state IN ('active', 'paused')
       ORDER BY r.id DESC LIMIT $2 FOR UPDATE OF w`,
      [volunteer, limit],
    );
    return rows.map((r) => ({ workUnit: toUnit(r), validatedAt: r.validated_at }));
  },

  async validReplicasOf(units: readonly WorkUnitNumber[]) {
    const rows = await db.q<{ id: number; wu: number }>(
      "SELECT id, wu FROM replicas WHERE wu = ANY($1::bigint[]) AND state = 'valid' ORDER BY wu, id",
      [units],
    );
    return rows.map((r) => ({ workUnit: r.wu as WorkUnitNumber, replica: r.id as LeaseNumber }));
  },

  async outputsOf(replicas: readonly LeaseNumber[]): Promise<Map<LeaseNumber, Uint8Array>> {
    const rows = await db.q<{ id: number; output: Buffer | null }>(
      'SELECT id, output FROM replicas WHERE id = ANY($1::bigint[])',
      [replicas],
    );
    const found = new Map<LeaseNumber, Uint8Array>();
    for (const r of rows) if (r.output) found.set(r.id as LeaseNumber, bytes(r.output));
    return found;
  },

  async replicas(ids: readonly LeaseNumber[]): Promise<ReplicaRecord[]> {
    const rows = await db.q(
      `SELECT id, wu, job, volunteer, state, leased_at, paused_ms, deadline, output_hash, error_code FROM replicas
       WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
      [[...new Set(ids)]],
    );
    return rows.map((r) => toReplica(r as ReplicaSqlRow));
  },

  async updateReplicas(changes: readonly { id: LeaseNumber; set: ReplicaChange }[]): Promise<void> {
    await updateByShape(db, 'replicas', REPLICA_COLUMNS, changes);
  },

  async updateWorkUnits(changes: readonly { id: WorkUnitNumber; set: WorkUnitChange }[]): Promise<void> {
    await updateByShape(db, 'work_units', UNIT_COLUMNS, changes);
  },

  async addVolunteerCounts(deltas: readonly VolunteerDelta[]): Promise<void> {
    await db.q(
      `UPDATE volunteers v SET leased = v.leased + d.leased, returned = v.returned + d.returned,
         pending = v.pending + d.pending, errors = v.errors + d.errors, valid = v.valid + d.valid, invalid = v.invalid + d.invalid,
         credit = v.credit + d.credit, spent = v.spent + d.spent, own_credit = v.own_credit + d.own,
         rep_record = CASE WHEN d.stand THEN d.record ELSE v.rep_record END,
         rep_probes = CASE WHEN d.stand THEN d.probes ELSE v.rep_probes END,
         rep_at = CASE WHEN d.stand THEN d.rep_at ELSE v.rep_at END,
         trusted_since = CASE WHEN d.stand THEN d.trusted_since ELSE v.trusted_since END,
         strikes = CASE WHEN d.stand THEN d.strikes ELSE v.strikes END,
         rep_caught = CASE WHEN d.stand THEN d.caught ELSE v.rep_caught END,
         voting = CASE WHEN d.stand THEN d.voting ELSE v.voting END,
         error_allowance = CASE WHEN d.stand THEN d.allowance ELSE v.error_allowance END,
         error_allowance_at = CASE WHEN d.stand THEN d.allowance_at ELSE v.error_allowance_at END
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                   $7::float8[], $8::bigint[], $9::float8[], $10::float8[], $11::bool[], $12::float8[], $13::int[],
                   $14::bigint[], $15::bigint[], $16::int[], $17::bool[], $18::float8[], $19::bigint[],
                   $20::int[])
         AS d(key, leased, returned, errors, valid, invalid, credit, pending, spent, own,
              stand, record, probes, rep_at, trusted_since, strikes, voting, allowance, allowance_at, caught)
       WHERE v.key = d.key`,
      [
        deltas.map((d) => d.key),
        deltas.map((d) => d.leased),
        deltas.map((d) => d.returned),
        deltas.map((d) => d.errors),
        deltas.map((d) => d.valid),
        deltas.map((d) => d.invalid),
        deltas.map((d) => d.credit),
        deltas.map((d) => d.pending),
        deltas.map((d) => d.spent),
        deltas.map((d) => d.ownCredit),
        // The standing as folded on the row this transaction holds (steps/recheck.ts): written whole, or kept.
        deltas.map((d) => d.standing !== null),
        deltas.map((d) => d.standing?.reputation.record ?? 0),
        deltas.map((d) => d.standing?.reputation.probesPassed ?? 0),
        deltas.map((d) => d.standing?.reputation.at ?? 0),
        deltas.map((d) => d.standing?.reputation.trustedSince ?? null),
        deltas.map((d) => d.standing?.reputation.strikes ?? 0),
        deltas.map((d) => d.standing?.reputation.voting ?? true),
        deltas.map((d) => d.standing?.budget.allowance ?? 0),
        deltas.map((d) => d.standing?.budget.at ?? null),
        deltas.map((d) => d.standing?.reputation.caught ?? 0),
      ],
    );
  },

  async extendLiveLeases(since: number, by: number): Promise<number> {
    const rows = await db.q(
      "UPDATE replicas SET deadline = deadline + $1, paused_ms = paused_ms + $1 WHERE state = 'leased' AND deadline >= $2 RETURNING id",
      [by, since],
    );
    return rows.length;
  },

  async results(job: JobId, after: number, limit: number): Promise<ResultRow[]> {
    const rows = await db.q<ResultSqlRow<Buffer>>(RESULTS_SQL(['$1', '$2', '$3']), [job, after, limit]);
    return rows.map((r) => toResultRow(r, bytes));
  },
});

/**
 * One UPDATE per set of changed columns, over arrays: a batch's hundreds of changes are a few statements,
 * and each writes only its columns.
 */
async function updateByShape<C extends object>(
  db: PgQueries,
  table: string,
  columns: Record<keyof C, Column>,
  changes: readonly { id: number; set: C }[],
): Promise<void> {
  for (const { fields, rows } of byShape(changes).values()) {
    const cols = fields.map((f) => columns[f]);
    const text =
      `UPDATE ${table} t SET ${cols.map((c) => `${c.name} = u.${c.name}`).join(', ')} ` +
      `FROM unnest($1::bigint[], ${cols.map((c, i) => `$${i + 2}::${c.type}[]`).join(', ')}) ` +
      `AS u(id, ${cols.map((c) => c.name).join(', ')}) WHERE t.id = u.id`;
    await db.q(text, [rows.map((r) => r.id), ...fields.map((f) => rows.map((r) => r.set[f] ?? null))]);
  }
}
