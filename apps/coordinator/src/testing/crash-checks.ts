// The checks after a crash run (crash-run.ts): the stored rows, read directly in the backend's SQL, against
// what the volunteers were acknowledged: no work unit lost, no acknowledged result lost, no credit given twice,
// the stored Merkle tree the tree of the receipts, each volunteer's counters those of its replicas.
import { type ReceiptBody, leafHash, netCredit, rootFromLeafHashes, toHex, workUnitNumber } from '@bricolage/protocol';
import { rootAt } from '../log/merkle-tree';
import type { Tally } from './crash-volunteer';
import { square, squareInput } from './fixtures';

/** Leases taken by a volunteer that never returns. */
export const DESERTED = 16;
/** Credit per work unit of the run's job. */
export const COST = 10;
/** Replica states a result the coordinator acknowledged may end in; an honest one should end `valid`. */
const TERMINAL = ['valid', 'invalid', 'superseded'];

/** What the checks need to know of the run (its CrashRunOptions). */
export interface CheckedRun {
  /** Reads the stored rows, in the backend's SQL (`?` placeholders). */
  readonly query: <T>(sql: string, params?: readonly unknown[]) => Promise<T[]>;
  readonly workUnits: number;
  readonly volunteers: number;
}

/** The upload the run cut off by killing its coordinator: how many lines it had sent, and where its rows may stay. */
export interface CutUpload {
  readonly lines: number;
  /**
   * Whether its staged rows may still be there: a coordinator alone on its SQLite file drops them as it opens;
   * where coordinators share a Postgres, none knows whether another is still uploading, and the sweep drops them
   * only once they are older than any request may last (sweep.test.ts).
   */
  readonly mayStayStaged: boolean;
}

/** The stored rows, read directly, against what was acknowledged. */
export async function checkRows(
  o: CheckedRun,
  tally: Tally,
  cut: CutUpload,
  context: string,
  problems: string[],
): Promise<{ expired: number; receipts: number }> {
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${context}: ${what}`);
  };
  const q = o.query;
  // No acknowledged result was lost: its replica reached a verdict, and (all volunteers being honest) a valid one.
  const replicas = new Map(
    (
      await q<{ id: number; wu: number; volunteer: string; state: string }>(
        'SELECT id, wu, volunteer, state FROM replicas',
      )
    ).map((r) => [Number(r.id), r]),
  );
  const lost: string[] = [];
  for (const [lease, ack] of tally.acknowledged) {
    const row = replicas.get(lease);
    if (!row || Number(row.wu) !== ack.workUnit || row.volunteer !== ack.volunteer || !TERMINAL.includes(row.state))
      lost.push(`ls_${lease}: ${JSON.stringify(row ?? null)}`);
    else if (row.state !== 'valid') lost.push(`ls_${lease}: honest result ended ${row.state}`);
  }
  check(lost.length === 0, `${lost.length} acknowledged results lost: ${lost.slice(0, 10).join('; ')}`);
  const count = async (sql: string) => Number((await q<{ n: number }>(sql))[0]?.n);
  check((await count("SELECT COUNT(*) AS n FROM replicas WHERE state = 'returned'")) === 0, 'results left unjudged');
  // The deserter's leases expired, and their work units were reissued (they all validated).
  const expired = await count("SELECT COUNT(*) AS n FROM replicas WHERE state = 'expired'");
  check(expired >= DESERTED, `only ${expired} leases expired`);

  // Each work unit: validated, its canonical replica valid and correct, at least a quorum of distinct volunteers.
  const wus = await q<{
    id: number;
    state: string;
    in_flight: number;
    output_hash: string;
    rstate: string;
    output: Buffer;
    rhash: string;
    agreeing: number;
    leased: number;
    tag: string;
  }>(
    `SELECT w.id, w.state, w.in_flight, w.output_hash, r.state AS rstate, r.output, r.output_hash AS rhash,
       (SELECT COUNT(DISTINCT volunteer) FROM replicas v WHERE v.wu = w.id AND v.state = 'valid') AS agreeing,
       (SELECT COUNT(*) FROM replicas l WHERE l.wu = w.id AND l.state = 'leased') AS leased,
       w.tag
     FROM work_units w LEFT JOIN replicas r ON r.id = w.canonical_replica WHERE w.state <> 'staged'`,
  );
  check(wus.length === o.workUnits, `${wus.length} work units stored, not ${o.workUnits}`);
  // What is left of the cut upload is invisible, no more than it sent, and of that one upload alone.
  const staged = await q<{ n: number; batches: number }>(
    "SELECT COUNT(*) AS n, COUNT(DISTINCT batch) AS batches FROM work_units WHERE state = 'staged'",
  );
  const left = { n: Number(staged[0]?.n ?? 0), batches: Number(staged[0]?.batches ?? 0) };
  check(
    left.n === 0 || (cut.mayStayStaged && left.n <= cut.lines && left.batches === 1),
    `${left.n} work units still staged in ${left.batches} uploads (the cut one sent ${cut.lines} lines)`,
  );
  for (const w of wus) {
    const where = `wu_${w.id}`;
    if (w.state !== 'validated' || w.rstate !== 'valid' || w.rhash !== w.output_hash)
      problems.push(`${context}: ${where} is ${w.state}, its canonical replica ${w.rstate}`);
    else if (toHex(new Uint8Array(w.output)) !== toHex(square(squareInput(Number(w.tag.slice(2))))))
      problems.push(`${context}: ${where} has a wrong canonical output`);
    if (Number(w.agreeing) < 2) problems.push(`${context}: ${where} validated by ${w.agreeing} volunteers`);
    // The counter a crash could tear from the rows it counts.
    if (Number(w.in_flight) !== Number(w.leased))
      problems.push(`${context}: ${where} counts ${w.in_flight} in flight, has ${w.leased} leased`);
  }

  // The log: contiguous, one receipt per valid replica (so no credit twice), and its root recomputed from
  // the bodies alone equals the stored tree's root.
  const receipts = await q<{ idx: number; volunteer: string; body: string }>(
    'SELECT idx, volunteer, body FROM receipts ORDER BY idx',
  );
  const bodies = receipts.map((r) => JSON.parse(r.body) as ReceiptBody);
  check(
    receipts.every((r, i) => Number(r.idx) === i),
    'the log has gaps',
  );
  check(
    bodies.every((b, i) => b.index === i && b.volunteer === receipts[i]?.volunteer),
    'a receipt names another index or volunteer than its row',
  );
  const valid = await q<{ wu: number; volunteer: string }>(
    "SELECT wu, volunteer FROM replicas WHERE state = 'valid' ORDER BY wu, volunteer",
  );
  const key = (wu: number, volunteer: string) => `${wu}:${volunteer}`;
  const credited = bodies
    .flatMap((b) => (b.type === 'credit' ? [key(workUnitNumber(b.workUnit), b.volunteer)] : []))
    .sort();
  const expected = valid.map((r) => key(Number(r.wu), r.volunteer)).sort();
  check(new Set(credited).size === credited.length, `${credited.length - new Set(credited).size} credits given twice`);
  check(JSON.stringify(credited) === JSON.stringify(expected), 'receipts and valid replicas differ');
  const recomputed = toHex(
    await rootFromLeafHashes(await Promise.all(receipts.map((r) => leafHash(new TextEncoder().encode(r.body))))),
  );
  const nodes = new Map(
    (await q<{ level: number; idx: number; hash: Buffer }>('SELECT level, idx, hash FROM merkle_nodes')).map((n) => [
      `${n.level}:${n.idx}`,
      new Uint8Array(n.hash),
    ]),
  );
  const stored = rootAt(
    {
      getNode: (level, index) => nodes.get(`${level}:${index}`),
      putNode: () => {
        throw new Error('read-only');
      },
    },
    receipts.length,
  );
  check(toHex(stored) === recomputed, 'the stored tree is not the tree of the receipts');

  // Credit: each volunteer's total is the sum of its receipts, and its counters match its replicas.
  const sums = new Map<string, { credit: number; n: number }>();
  for (const b of bodies) {
    const s = sums.get(b.volunteer) ?? { credit: 0, n: 0 };
    sums.set(b.volunteer, { credit: s.credit + netCredit(b), n: s.n + 1 });
  }
  const rows = await q<{
    key: string;
    credit: number;
    valid: number;
    leased: number;
    returned: number;
    replicas: number;
    ended: number;
  }>(
    `SELECT v.key, v.credit, v.valid, v.leased, v.returned,
       (SELECT COUNT(*) FROM replicas r WHERE r.volunteer = v.key) AS replicas,
       (SELECT COUNT(*) FROM replicas r WHERE r.volunteer = v.key AND r.state <> 'leased') AS ended
     FROM volunteers v`,
  );
  check(rows.length === o.volunteers + 1, `${rows.length} volunteers stored`);
  for (const r of rows) {
    const s = sums.get(r.key) ?? { credit: 0, n: 0 };
    const got = [r.credit, r.valid, r.leased, r.returned].map(Number);
    const want = [s.credit, s.n, Number(r.replicas), Number(r.ended)];
    check(JSON.stringify(got) === JSON.stringify(want), `volunteer ${r.key}: ${got} where ${want}`);
  }
  const total = Number((await q<{ c: number }>('SELECT SUM(credit) AS c FROM jobs'))[0]?.c);
  check(total === receipts.length * COST, `jobs credited ${total} for ${receipts.length} receipts`);
  return { expired, receipts: receipts.length };
}
