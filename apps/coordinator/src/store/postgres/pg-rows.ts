// The Postgres columns (with their types, for array parameters) behind each field a change may name; the rows
// both stores read alike, and their mappers, are ../record-rows.ts.
import type { ReplicaChange, WorkUnitChange } from '../records';

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
  charged: { name: 'charged', type: 'int' },
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
