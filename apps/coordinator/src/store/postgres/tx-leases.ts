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
import type { LeaseRows } from '../persistence';
import type { PgQueries } from './queries';

/** Which units each kind of window reads, by how many replicas they were issued. */
const ISSUED: Record<WindowUnits, string> = { any: '', started: 'AND w.issued > 0', new: 'AND w.issued = 0' };

export const leaseRows = (db: PgQueries): LeaseRows => ({
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
});
