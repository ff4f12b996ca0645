// A replica's row as both stores read it: the same columns, and the same record made of them (the Postgres
// pool reads BIGINT as a number, pg-persistence.ts, so that rows of both stores are alike).
import type { BackendClass, JobId, LeaseNumber, ProjectId, VolunteerKey, WorkUnitNumber } from '@bricolage/protocol';
import { DEFAULT_RETAKE } from '../rules/assignment';
import type { Candidate, HeldLease, ReplicaRecord } from './records';

/**
 * Whether replica `r` bars its key from another lease of its unit: any replica but one that came back with no answer
 * (given back or run out) before the key's last retake the rule allows (steps/lease.ts, retakeable units).
 */
export const BARS_KEY = `(r.attempt >= ${DEFAULT_RETAKE.most} OR r.state NOT IN ('released', 'expired'))`;

/** Whether replica `r` is its key's latest of its unit: the one whose end starts the wait before a retake. */
export const LATEST =
  'NOT EXISTS (SELECT 1 FROM replicas t WHERE t.wu = r.wu AND t.volunteer = r.volunteer AND t.attempt > r.attempt)';

/** A work unit's columns, as `w`. */
export const UNIT = `w.id, w.job, w.state, w.input_hash, w.expected_hash, w.quorum, w.need, w.in_flight, w.issued,
  w.charged, w.errors, w.agree, w.hr_class, w.canonical_replica, w.output_hash`;

/** Replicas with their work units and their jobs' states; the replica's columns prefixed `r_`. */
export const IN_CONTEXT = `SELECT r.id AS r_id, r.volunteer AS r_volunteer, r.state AS r_state, r.deadline AS r_deadline,
  r.leased_at AS r_leased_at, r.paused_ms AS r_paused_ms, r.output_hash AS r_output_hash, r.error_code AS r_error_code, j.state AS job_state, ${UNIT}
  FROM replicas r JOIN work_units w ON w.id = r.wu JOIN jobs j ON j.id = r.job`;

/** A row of `SELECT id, wu, job, volunteer, state, leased_at, paused_ms, deadline, output_hash, error_code FROM replicas`. */
export interface ReplicaSqlRow {
  id: number;
  wu: number;
  job: string;
  volunteer: string;
  state: string;
  leased_at: number;
  paused_ms: number;
  deadline: number;
  output_hash: string | null;
  error_code: string | null;
}

/** The replica's columns of an `IN_CONTEXT` row (`id`, `job` are its work unit's). */
export interface PrefixedReplicaRow {
  r_id: number;
  id: number;
  job: string;
  r_volunteer: string;
  r_state: string;
  r_leased_at: number;
  r_paused_ms: number;
  r_deadline: number;
  r_output_hash: string | null;
  r_error_code: string | null;
}

export const toReplica = (r: ReplicaSqlRow): ReplicaRecord => ({
  id: r.id as LeaseNumber,
  workUnit: r.wu as WorkUnitNumber,
  job: r.job as JobId,
  volunteer: r.volunteer as VolunteerKey,
  state: r.state as ReplicaRecord['state'],
  leasedAt: r.leased_at,
  pausedMs: r.paused_ms,
  deadline: r.deadline,
  outputHash: r.output_hash,
  errorCode: r.error_code,
});

export const toPrefixedReplica = (r: PrefixedReplicaRow): ReplicaRecord => ({
  id: r.r_id as LeaseNumber,
  workUnit: r.id as WorkUnitNumber,
  job: r.job as JobId,
  volunteer: r.r_volunteer as VolunteerKey,
  state: r.r_state as ReplicaRecord['state'],
  leasedAt: r.r_leased_at,
  pausedMs: r.r_paused_ms,
  deadline: r.r_deadline,
  outputHash: r.r_output_hash,
  errorCode: r.r_error_code,
});

/** A held lease's own columns, beside its unit's (`UNIT`): `r` the replica, `j` its job. */
export const HELD = 'r.id AS r_id, r.backend AS r_backend, r.deadline AS r_deadline, j.project AS j_project';

export interface HeldSqlRow {
  r_id: number;
  r_backend: string | null;
  r_deadline: number;
  j_project: string;
  job: string;
}

export const toHeld = (r: HeldSqlRow, unit: Candidate): HeldLease => ({
  ...unit,
  lease: r.r_id as LeaseNumber,
  job: r.job as JobId,
  project: r.j_project as ProjectId,
  backend: r.r_backend as BackendClass | null,
  deadline: r.r_deadline,
});
