// Projects', work units', volunteers' and receipts' rows as both stores read them: the same columns, and the
// same records made of them (the Postgres pool reads BIGINT as a number, pg-persistence.ts). Where the two
// differ, a boolean column, the mappers take either: SQLite keeps it as 0 or 1, Postgres as a boolean.
import type {
  BackendClass,
  JobId,
  JobState,
  LeaseNumber,
  Project,
  ProjectId,
  ReceiptBody,
  VolunteerKey,
  WorkUnitNumber,
} from '@bricolage/protocol';
import type {
  Candidate,
  ReplicaInContext,
  ReturnedRow,
  StoredWorkUnitState,
  ProbeResult,
  VolunteerOrigin,
  VolunteerRecord,
  WorkUnitRecord,
} from './records';
import { type PrefixedReplicaRow, toPrefixedReplica } from './replica-rows';
import type { StoredReceipt } from './store';

/** A boolean column: 0 or 1 in SQLite, a boolean in Postgres. */
type Flag = number | boolean;
const isSet = (flag: Flag): boolean => flag === true || flag === 1;

export const PROJECT = 'SELECT id, name, description, owner, created_at FROM projects';

export interface ProjectRow {
  id: string;
  name: string;
  description: string;
  owner: string;
  created_at: number;
}
export interface UnitRow {
  id: number;
  job: string;
  state: string;
  input_hash: string;
  expected_hash: string | null;
  quorum: number;
  need: number;
  in_flight: number;
  issued: number;
  charged: number;
  errors: number;
  agree: number;
  hr_class: string | null;
  canonical_replica: number | null;
  output_hash: string | null;
}
export interface CandidateRow extends UnitRow {
  input: Buffer | null;
  tag: string | null;
}
export interface InContextRow extends UnitRow, PrefixedReplicaRow {
  job_state: string;
}
/** A row of the returned replicas of units, with their volunteers' standing (`returnedFor`). */
export interface ReturnedSqlRow {
  id: number;
  voting: Flag;
  held: number;
  wu: number;
  volunteer: string;
  backend: string;
  output_hash: string;
  output: Buffer;
}
/** A replica's holder with its origin (`holdersOf`). */
export interface HolderSqlRow {
  wu: number;
  volunteer: string;
  address: string | null;
  bucket: string | null;
  first_seen: number | null;
}
export interface VolunteerRow {
  key: string;
  rep_record: number;
  rep_probes: number;
  rep_at: number;
  trusted_since: number | null;
  strikes: number;
  rep_caught: number;
  voting: Flag;
  error_allowance: number;
  error_allowance_at: number | null;
  leased: number;
  returned: number;
  pending: number;
  valid: number;
  invalid: number;
  errors: number;
  credit: number;
  spent: number;
  own_credit: number;
  address: string | null;
  bucket: string | null;
  first_seen: number | null;
}
export interface ReceiptRow {
  idx: number;
  body: string;
  signature: string | null;
}

/** A view of the bytes the driver handed back (a Buffer), as the plain Uint8Array the code compares. */
export const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
export const buffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** The log head's frontier, 32 bytes per subtree, largest first, as one column. */
export const packFrontier = (frontier: readonly Uint8Array[]): Buffer => Buffer.concat(frontier.map(buffer));
export const unpackFrontier = (packed: Buffer): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (let i = 0; i < packed.length; i += 32) out.push(new Uint8Array(packed.subarray(i, i + 32)));
  return out;
};

export const toProject = (row: ProjectRow): Project => ({
  id: row.id as ProjectId,
  name: row.name,
  description: row.description,
  owner: row.owner,
  createdAt: row.created_at,
});

export const toUnit = (r: UnitRow): WorkUnitRecord => ({
  id: r.id as WorkUnitNumber,
  job: r.job as JobId,
  state: r.state as StoredWorkUnitState,
  inputHash: r.input_hash,
  expectedHash: r.expected_hash,
  quorum: r.quorum,
  need: r.need,
  inFlight: r.in_flight,
  issued: r.issued,
  charged: r.charged,
  errors: r.errors,
  agree: r.agree,
  hrClass: r.hr_class as BackendClass | null,
  canonicalReplica: r.canonical_replica as LeaseNumber | null,
  outputHash: r.output_hash,
});

export const toCandidate = (r: CandidateRow): Candidate => ({
  workUnit: toUnit(r),
  input: r.input ? bytes(r.input) : null,
  tag: r.tag ?? null,
});

export const toInContext = (r: InContextRow): ReplicaInContext => ({
  replica: toPrefixedReplica(r),
  leasedAt: r.r_leased_at,
  workUnit: toUnit(r),
  jobState: r.job_state as JobState,
});

export const toReturned = (r: ReturnedSqlRow): ReturnedRow => ({
  replica: r.id as LeaseNumber,
  heldMs: r.held,
  workUnit: r.wu as WorkUnitNumber,
  volunteer: r.volunteer as VolunteerKey,
  backend: r.backend as BackendClass,
  outputHash: r.output_hash,
  output: bytes(r.output),
  voting: isSet(r.voting),
});

export const toVolunteer = (r: VolunteerRow): VolunteerRecord => ({
  key: r.key as VolunteerKey,
  standing: {
    reputation: {
      record: r.rep_record,
      probesPassed: r.rep_probes,
      at: r.rep_at,
      trustedSince: r.trusted_since,
      strikes: r.strikes,
      caught: r.rep_caught,
      voting: isSet(r.voting),
    },
    budget: { allowance: r.error_allowance, at: r.error_allowance_at },
  },
  leased: r.leased,
  returned: r.returned,
  pending: r.pending,
  valid: r.valid,
  invalid: r.invalid,
  errors: r.errors,
  credit: r.credit,
  spent: r.spent,
  ownCredit: r.own_credit,
  origin: toOrigin(r),
});

/** A result judged against a known answer, with its key's origin (`probeResults`). */
export interface ProbeResultSqlRow {
  id: number;
  volunteer: string;
  state: string;
  output_hash: string | null;
  address: string | null;
  bucket: string | null;
  first_seen: number | null;
  valid: number | null;
}

/** One query for both stores: `$1` (or `?`) is the unit; its replicas are found through (wu, volunteer). */
export const PROBE_RESULTS_SQL = (unit: string) =>
  `SELECT r.id, r.volunteer, r.state, r.output_hash, v.address, v.bucket, v.first_seen, v.valid
   FROM replicas r LEFT JOIN volunteers v ON v.key = r.volunteer
   WHERE r.wu = ${unit} AND r.state IN ('valid', 'invalid')`;

export const toProbeResult = (r: ProbeResultSqlRow): ProbeResult => ({
  replica: r.id as LeaseNumber,
  volunteer: r.volunteer as VolunteerKey,
  origin: toOrigin(r),
  passed: r.state === 'valid',
  outputHash: r.output_hash,
  validated: Number(r.valid ?? 0),
});

/** A key's origin from its row's columns; null for a key that never took a token (they are written together). */
export const toOrigin = (r: {
  address: string | null;
  bucket: string | null;
  first_seen: number | null;
}): VolunteerOrigin | null =>
  r.address !== null && r.bucket !== null && r.first_seen !== null
    ? { address: r.address, bucket: r.bucket, firstSeen: r.first_seen }
    : null;

export const toStoredReceipt = (row: ReceiptRow): StoredReceipt => ({
  index: row.idx,
  body: JSON.parse(row.body) as ReceiptBody,
  bodyJson: row.body,
  signature: row.signature,
});
