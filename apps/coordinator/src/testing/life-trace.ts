// What a random life (grid-life.test.ts) leaves in the rows after each step, in words that do not depend on the
// store: keys by the names the test gives them (they are drawn afresh each run), ids and counters as numbers, flags
// as 0/1. Both stores run one state machine, so one seed must leave one trace on both: where the traces part, a query
// of one store reads rows in another order, or one store's rule differs from the other's.
import type { Query } from './books';

/** The rows of the jobs, units, replicas and keys after a step, one line each, in one order on both stores. */
export async function snapshot(q: Query, names: ReadonlyMap<string, string>): Promise<string> {
  const name = (key: unknown) => names.get(String(key)) ?? `unnamed ${String(key)}`;
  const line = (prefix: string, row: Record<string, unknown>) =>
    `${prefix} ${Object.values(row).map(String).join(' ')}`;
  const jobs = await q<Record<string, unknown>>('SELECT seq, state, credit, result_seq FROM jobs ORDER BY seq');
  const units = await q<Record<string, unknown>>(
    `SELECT w.id, j.seq AS job, w.state, w.quorum, w.need, w.in_flight, w.issued, w.errors, w.agree, w.canonical_replica,
       w.reason, w.result_seq
     FROM work_units w JOIN jobs j ON j.id = w.job ORDER BY w.id`,
  );
  const replicas = await q<Record<string, unknown>>(
    'SELECT id, wu, volunteer, state, deadline, returned_at, paused_ms, error_code FROM replicas ORDER BY id',
  );
  const keys = await q<Record<string, unknown>>(
    `SELECT key, leased, returned, valid, invalid, errors, pending, credit, spent, own_credit, rep_record, rep_probes,
       rep_at, trusted_since, strikes, rep_caught, CASE WHEN voting THEN 1 ELSE 0 END AS voting, error_allowance,
       error_allowance_at
     FROM volunteers`,
  );
  const receipts = await q<{ n: number }>('SELECT COUNT(*) AS n FROM receipts');
  return [
    `receipts ${Number(receipts[0]?.n)}`,
    ...jobs.map((j) => line('job', j)),
    ...units.map((u) => line('unit', u)),
    ...replicas.map((r) => line('replica', { ...r, volunteer: name(r.volunteer) })),
    ...keys.map((k) => line('key', { ...k, key: name(k.key) })).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  ].join('\n');
}

/** The first step at which two traces differ (one that stops early differs where it stopped), or null. */
export function firstDifference(a: readonly string[], b: readonly string[]): number | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return null;
}
