// The SQLite schema's own row shapes and the columns behind each field a change may name; the rows both stores
// read alike, and their mappers, are ../record-rows.ts.
import type { ReplicaChange, WorkUnitChange } from '../records';
import { buffer } from '../record-rows';

/** The columns behind each field a change may name. */
export const UNIT_COLUMNS: Record<keyof WorkUnitChange, string> = {
  state: 'state',
  quorum: 'quorum',
  need: 'need',
  inFlight: 'in_flight',
  issued: 'issued',
  charged: 'charged',
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

export interface UploadKeyRow {
  body_hash: string;
  added: number;
  known_answer: number;
  first: number | null;
  last: number | null;
}
export interface LogHeadRow {
  size: number;
  frontier: Buffer;
  root: Buffer;
  at: number;
}

/** A value as better-sqlite3 binds it: bytes as a Buffer. */
export const bindable = (v: unknown): unknown => (v instanceof Uint8Array ? buffer(v) : v);
