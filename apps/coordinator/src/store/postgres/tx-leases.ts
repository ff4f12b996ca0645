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
import { REPLICA_COLUMNS, UNIT_COLUMNS, type Column } from './pg-rows';
import type { LeaseRows, ResultRows } from '../persistence';
import type { PgQueries } from './queries';

/** Which units each kind of window reads, by how many replicas they were issued. */
const ISSUED: Record<WindowUnits, string> = { any: '', started: 'AND w.issued > 0', new: 'AND w.issued = 0' };

export const leaseRows = (db: PgQueries): LeaseRows & ResultRows => ({
  async lockVolunteer(key: VolunteerKey): Promise<VolunteerRecord> {
    // An upsert that always updates: it locks the row whether it was there or not.
    return toVolunteer(
      (await db.one<VolunteerRow>(
        'INSERT INTO volunteers (key) VALUES ($1) ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING *',
        [key],
      )) as VolunteerRow,
    );
  },

  async volunteer(key: VolunteerKey): Promise<VolunteerRecord | null> {
    const row = await db.one<VolunteerRow>('SELECT * FROM volunteers WHERE key = $1', [key]);
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
    // Started units are found in their own index (work_units_started), whose condition this one implies.
    const rows = await db.q<{ id: number }>(
      `SELECT w.id FROM work_units w
       WHERE w.job = $1 AND w.id > $5 AND w.need > 0 ${ISSUED[units]} AND (w.hr_class IS NULL OR w.hr_class = $2)
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = $3)
       ORDER BY w.id LIMIT $4 FOR UPDATE OF w SKIP LOCKED`,
      [job, backend, volunteer, limit, after],
    );
    return rows.map((r) => r.id as WorkUnitNumber);
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
    // From the key's own unanswered replicas (replicas_retakeable), not from the job's wanting units: the latest of
    // each unit, its wait read from `endedBy` by its attempt (none past the array: NULL compares false).
    const rows = await db.q<{ id: number; attempt: number }>(
      `SELECT w.id, r.attempt + 1 AS attempt FROM replicas r JOIN work_units w ON w.id = r.wu
       WHERE r.volunteer = $3 AND r.job = $1 AND r.state IN ('released', 'expired') AND r.wu > $5
         AND w.state <> 'probe' AND w.need > 0 ${ISSUED[units]} AND (w.hr_class IS NULL OR w.hr_class = $2)
         AND ${LATEST}
         AND COALESCE(r.returned_at, r.deadline) <= ($6::bigint[])[r.attempt + 1]
       ORDER BY r.wu LIMIT $4 FOR UPDATE OF w SKIP LOCKED`,
      [job, backend, volunteer, limit, after, endedBy],
    );
    return rows.map((r) => ({ workUnit: r.id as WorkUnitNumber, attempt: r.attempt }));
  },

  async drawnUnits(units: readonly WorkUnitNumber[], inline: number): Promise<Candidate[]> {
    // Locked already, by leaseWindow.
    const rows = await db.q<CandidateRow>(
      `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= $2 THEN b.bytes END AS input, w.tag AS tag
       FROM work_units w LEFT JOIN blobs b ON b.hash = w.input_hash
       WHERE w.id = ANY($1::bigint[]) ORDER BY w.id`,
      [units, inline],
    );
    return rows.map(toCandidate);
  },

  async inlineSizes(units: readonly WorkUnitNumber[], inline: number): Promise<(number | null)[]> {
    // octet_length reads a stored value's length from its header: the inputs themselves are not fetched.
    const rows = await db.q<{ id: string | number; size: number | null }>(
      `SELECT w.id, octet_length(b.bytes) AS size FROM work_units w LEFT JOIN blobs b ON b.hash = w.input_hash
       WHERE w.id = ANY($1::bigint[])`,
      [units],
    );
    const sizes = new Map(rows.map((r) => [Number(r.id), r.size !== null && r.size <= inline ? r.size : null]));
    return units.map((u) => sizes.get(u) ?? null);
  },

  async holdersOf(units: readonly WorkUnitNumber[]): Promise<UnitHolder[]> {
    // The window's units are locked already (leaseWindow): their replicas cannot change under us.
    const rows = await db.q<HolderSqlRow>(
      `SELECT r.wu, r.volunteer, v.address, v.bucket, v.first_seen
       FROM replicas r LEFT JOIN volunteers v ON v.key = r.volunteer
       WHERE r.wu = ANY($1::bigint[])`,
      [units],
    );
    return rows.map((r) => ({
      workUnit: r.wu as WorkUnitNumber,
      volunteer: r.volunteer as VolunteerKey,
      origin: toOrigin(r),
    }));
  },

  async heldByBucket(bucket: string): Promise<number> {
    const row = await db.one<{ n: number }>(
      'SELECT COALESCE(SUM(leased - returned), 0)::bigint AS n FROM volunteers WHERE bucket = $1',
      [bucket],
    );
    return row?.n ?? 0;
  },

  async heldLeases(
    volunteer: VolunteerKey,
    after: LeaseNumber | 0,
    now: number,
    limit: number,
    inline: number,
  ): Promise<HeldLease[]> {
    const rows = await db.q<CandidateRow & HeldSqlRow>(
      `SELECT ${HELD}, ${UNIT}, CASE WHEN length(b.bytes) <= $5 THEN b.bytes END AS input, w.tag AS tag
       FROM replicas r JOIN work_units w ON w.id = r.wu JOIN jobs j ON j.id = r.job
         LEFT JOIN blobs b ON b.hash = w.input_hash
       WHERE r.volunteer = $1 AND r.state = 'leased' AND r.id > $2 AND r.deadline >= $3 AND j.state = 'active'
         AND w.state <> 'suspect'
       ORDER BY r.id LIMIT $4`,
      [volunteer, after, now, limit, inline],
    );
    return rows.map((r) => toHeld(r, toCandidate(r)));
  },

  async probeCandidates(job: JobId, volunteer: VolunteerKey, limit: number, inline: number): Promise<Candidate[]> {
    const rows = await db.q<CandidateRow>(
      `SELECT ${UNIT}, CASE WHEN length(b.bytes) <= $4 THEN b.bytes END AS input, w.tag AS tag
       FROM work_units w JOIN blobs b ON b.hash = w.input_hash
       WHERE w.job = $1 AND w.state = 'probe'
         AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.wu = w.id AND r.volunteer = $2)
       ORDER BY w.id LIMIT $3`,
      [job, volunteer, limit, inline],
    );
    return rows.map(toCandidate);
  },

  async insertReplicas(rows: readonly NewReplica[]): Promise<LeaseNumber[]> {
    const inserted = await db.q<{ id: number; wu: number }>(
      `INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, backend, attempt)
       SELECT wu, job, volunteer, 'leased', leased_at, deadline, backend, attempt
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::int[])
         AS s(wu, job, volunteer, leased_at, deadline, backend, attempt)
       RETURNING id, wu`,
      [
        rows.map((r) => r.workUnit),
        rows.map((r) => r.job),
        rows.map((r) => r.volunteer),
        rows.map((r) => r.leasedAt),
        rows.map((r) => r.deadline),
        rows.map((r) => r.backend),
        rows.map((r) => r.attempt),
      ],
    );
    // One volunteer's leases name each unit once: the unit tells which id is whose, whatever the order.
    const byUnit = new Map(inserted.map((r) => [r.wu, r.id as LeaseNumber]));
    return rows.map((r) => byUnit.get(r.workUnit) as LeaseNumber);
  },

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
