// Rows of the SQLite schema as the store's records: the mappers, the row shapes and shared column lists the
// queries of the tx-*.ts modules read (the same job as ../postgres/pg-rows.ts).
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
import { type PrefixedReplicaRow, toPrefixedReplica } from '../replica-rows';
import type {
  Candidate,
  ReplicaChange,
  ReplicaInContext,
  StoredWorkUnitState,
  VolunteerOrigin,
  VolunteerRecord,
  WorkUnitChange,
  WorkUnitRecord,
} from '../records';
import type { StoredReceipt } from '../store';

export const PROJECT = 'SELECT id, name, description, owner, created_at FROM projects';

/** The columns behind each field a change may name. */
export const UNIT_COLUMNS: Record<keyof WorkUnitChange, string> = {
  state: 'state',
  quorum: 'quorum',
  need: 'need',
  inFlight: 'in_flight',
  issued: 'issued',
  errors: 'errors',
  agree: 'agree',
  hrClass: 'hr_class',
  canonicalReplica: 'canonical_replica',
  outputHash: 'output_hash',
  reason: 'reason',
  finishedAt: 'finished_at',
  resultSeq: 'result_seq',
};
export const REPLICA_COLUMNS: Record<keyof ReplicaChange, string> = {
  state: 'state',
  deadline: 'deadline',
  outputHash: 'output_hash',
  errorCode: 'error_code',
  returnedAt: 'returned_at',
  output: 'output',
  backend: 'backend',
  errorMessage: 'error_message',
};

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
export interface ReturnedSqlRow {
  id: number;
  voting: number;
  held: number;
  wu: number;
  volunteer: string;
  backend: string;
  output_hash: string;
  output: Buffer;
}
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
  voting: number;
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
export interface UploadKeyRow {
  body_hash: string;
  added: number;
  known_answer: number;
  first: number | null;
  last: number | null;
}
export interface ReceiptRow {
  idx: number;
  body: string;
  signature: string | null;
}
export interface LogHeadRow {
  size: number;
  frontier: Buffer;
  root: Buffer;
  at: number;
}

/** A view of the bytes better-sqlite3 handed back (a Buffer), as the plain Uint8Array the code compares. */
export const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
export const buffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
export const bindable = (v: unknown): unknown => (v instanceof Uint8Array ? buffer(v) : v);

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
  errors: r.errors,
  agree: r.agree,
  hrClass: r.hr_class as BackendClass | null,
  canonicalReplica: r.canonical_replica as LeaseNumber | null,
  outputHash: r.output_hash,
});

export const toCandidate = (r: CandidateRow): Candidate => ({
  workUnit: toUnit(r),
  input: r.input ? new Uint8Array(r.input) : null,
  tag: r.tag,
});

export const toInContext = (r: InContextRow): ReplicaInContext => ({
  replica: toPrefixedReplica(r),
  leasedAt: r.r_leased_at,
  workUnit: toUnit(r),
  jobState: r.job_state as JobState,
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
      voting: r.voting === 1,
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
