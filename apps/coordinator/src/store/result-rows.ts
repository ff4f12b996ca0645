// A job's results as both stores read them: the same query (placeholders aside) and the same row. A unit's
// output is its canonical replica's; a known-answer unit's is the expected output its researcher gave,
// which is its result (it is a unit of the job like any other: volunteers cannot tell it apart), unless it was
// found suspect (rules/known-answers.ts): then it is a failed unit, with the reason.
import type { WorkUnitNumber } from '@bricolage/protocol';
import type { ResultRow } from './store';

/** `$1, $2, $3`: the job, the cursor to read after, the most rows; `?` for each in SQLite. */
export const RESULTS_SQL = (p: readonly [string, string, string]) =>
  `SELECT w.id, w.tag, w.state, w.output_hash, COALESCE(r.output, b.bytes) AS output, w.reason, w.finished_at,
     w.result_seq
   FROM work_units w
   LEFT JOIN replicas r ON r.id = w.canonical_replica
   LEFT JOIN blobs b ON w.state = 'probe' AND b.hash = w.expected_hash
   WHERE w.job = ${p[0]} AND w.result_seq > ${p[1]} ORDER BY w.result_seq LIMIT ${p[2]}`;

export interface ResultSqlRow<Bytes> {
  id: number;
  tag: string | null;
  state: string;
  output_hash: string | null;
  output: Bytes | null;
  reason: string | null;
  finished_at: number;
  result_seq: number;
}

export function toResultRow<Bytes>(r: ResultSqlRow<Bytes>, bytes: (b: Bytes) => Uint8Array): ResultRow {
  return {
    cursor: r.result_seq,
    workUnit: r.id as WorkUnitNumber,
    tag: r.tag,
    state: r.state === 'validated' || r.state === 'probe' ? 'validated' : 'failed',
    outputHash: r.output_hash,
    output: r.output ? bytes(r.output) : null,
    reason: r.reason,
    at: r.finished_at,
    knownAnswer: r.state === 'probe' || r.state === 'suspect',
  };
}
