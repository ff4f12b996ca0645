// Postgres rows to the state machine's records, and the columns (with their types, for array parameters)
// behind each field a change may name.
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
import type { QueryResultRow } from 'pg';
import { type PrefixedReplicaRow, toPrefixedReplica } from '../replica-rows';
import type {
  Candidate,
  ReplicaChange,
  ReplicaInContext,
  ReturnedRow,
  StoredWorkUnitState,
  VolunteerOrigin,
  VolunteerRecord,
  WorkUnitChange,
  WorkUnitRecord,
} from '../records';
import type { StoredReceipt } from '../store';

export interface Column {
  readonly name: string;
  readonly type: 'text' | 'int' | 'bigint' | 'bytea';
}

export const UNIT_COLUMNS: Record<keyof WorkUnitChange, Column> = {
  state: { name: 'state', type: 'text' },
  quorum: { name: 'quorum', type: 'int' },
  need: { name: 'need', type: 'int' },
  inFlight: { name: 'in_flight', type: 'int' },
  issued: { name: 'issued', type: 'int' },
  errors: { name: 'errors', type: 'int' },
  agree: { name: 'agree', type: 'int' },
  hrClass: { name: 'hr_class', type: 'text' },
  canonicalReplica: { name: 'canonical_replica', type: 'bigint' },
  outputHash: { name: 'output_hash', type: 'text' },
  reason: { name: 'reason', type: 'text' },
  finishedAt: { name: 'finished_at', type: 'bigint' },
  resultSeq: { name: 'result_seq', type: 'bigint' },
};

export const REPLICA_COLUMNS: Record<keyof ReplicaChange, Column> = {
  state: { name: 'state', type: 'text' },
  deadline: { name: 'deadline', type: 'bigint' },
  outputHash: { name: 'output_hash', type: 'text' },
  errorCode: { name: 'error_code', type: 'text' },
  returnedAt: { name: 'returned_at', type: 'bigint' },
  output: { name: 'output', type: 'bytea' },
  backend: { name: 'backend', type: 'text' },
  errorMessage: { name: 'error_message', type: 'text' },
};

export const PROJECT = 'SELECT id, name, description, owner, created_at FROM projects';

export const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const packFrontier = (frontier: readonly Uint8Array[]): Buffer =>
  Buffer.concat(frontier.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));

export const unpackFrontier = (packed: Buffer): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (let i = 0; i < packed.length; i += 32) out.push(new Uint8Array(packed.subarray(i, i + 32)));
  return out;
};

export const toProject = (row: QueryResultRow): Project => ({
  id: row.id as ProjectId,
  name: row.name,
  description: row.description,
  owner: row.owner,
  createdAt: row.created_at,
});

export const toUnit = (r: QueryResultRow): WorkUnitRecord => ({
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

export const toCandidate = (r: QueryResultRow): Candidate => ({
  workUnit: toUnit(r),
  input: r.input ? view(r.input as Buffer) : null,
  tag: r.tag ?? null,
});

export const toInContext = (r: QueryResultRow): ReplicaInContext => ({
  replica: toPrefixedReplica(r as PrefixedReplicaRow),
  leasedAt: Number(r.r_leased_at),
  workUnit: toUnit(r),
  jobState: r.job_state as JobState,
});

export const toReturned = (r: QueryResultRow): ReturnedRow => ({
  replica: r.id as LeaseNumber,
  heldMs: Number(r.held),
  workUnit: r.wu as WorkUnitNumber,
  volunteer: r.volunteer as VolunteerKey,
  backend: r.backend as BackendClass,
  outputHash: r.output_hash,
  output: view(r.output as Buffer),
  voting: r.voting !== false,
});

export const toVolunteer = (r: QueryResultRow): VolunteerRecord => ({
  key: r.key as VolunteerKey,
  standing: {
    reputation: {
      record: Number(r.rep_record),
      probesPassed: Number(r.rep_probes),
      at: Number(r.rep_at),
      trustedSince: r.trusted_since === null ? null : Number(r.trusted_since),
      strikes: Number(r.strikes),
      voting: r.voting === true,
    },
    budget: {
      allowance: Number(r.error_allowance),
      at: r.error_allowance_at === null ? null : Number(r.error_allowance_at),
    },
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
export const toOrigin = (r: QueryResultRow): VolunteerOrigin | null =>
  r.address !== null && r.bucket !== null && r.first_seen !== null
    ? { address: r.address, bucket: r.bucket, firstSeen: r.first_seen }
    : null;

export const toStoredReceipt = (r: QueryResultRow): StoredReceipt => ({
  index: r.idx,
  body: JSON.parse(r.body) as ReceiptBody,
  bodyJson: r.body,
  signature: r.signature,
});
