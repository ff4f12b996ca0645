// The books of a grid, read from its rows in either backend's SQL: what must hold after any sequence of requests,
// however its volunteers behave. Every counter agrees with the rows it counts; the log is contiguous, its stored
// tree is the tree of its receipts and its head names that tree; no replica is credited twice, and every credit is
// in the log and in its key's and job's totals, each wallet the one its log gives and never below zero; a validated
// unit's answer is one its checker accepts.
// crash-checks.ts checks an honest run after kills; this checks any run, at any step (grid-life.test.ts).
import { type ReceiptBody, leafHash, rootFromLeafHashes, toHex, walletOf, workUnitNumber } from '@bricolage/protocol';
import { rootAt } from '../log/merkle-tree';
import { DEFAULT_RETAKE, retakeWaitPeriods } from '../rules/assignment';

export type Query = <T>(sql: string, params?: readonly unknown[]) => Promise<T[]>;

/** Whether a validated unit's canonical output is right: given its tag and output. */
export type Checker = (tag: string | null, output: Uint8Array) => boolean;

/** A replica that came back with no answer: its key may retake the unit. */
const UNANSWERED = new Set(['released', 'expired']);
/** Replica states after a verdict that accepted it: only these may carry a credit receipt. */
const ACCEPTED = new Set(['valid', 'invalid', 'superseded']);

/** The problems found, each a sentence naming the rows; empty when the books balance. */
export async function checkBooks(q: Query, correct: Checker): Promise<string[]> {
  const problems: string[] = [];
  const n = (v: unknown) => Number(v ?? 0);

  // Each unit's counters against its replicas. A replica counts against the unit's maxTotalResults while it is out
  // or has a result; an error or an expired lease only when the key's error budget charged it to the unit (`errors`);
  // a lease given back not at all.
  const units = await q<{
    id: number;
    state: string;
    in_flight: number;
    issued: number;
    errors: number;
    leased: number;
    counted: number;
    failed: number;
  }>(
    `SELECT w.id, w.state, w.in_flight, w.issued, w.errors,
       (SELECT COUNT(*) FROM replicas r WHERE r.wu = w.id AND r.state = 'leased') AS leased,
       (SELECT COUNT(*) FROM replicas r WHERE r.wu = w.id
          AND r.state IN ('leased', 'returned', 'valid', 'invalid', 'superseded')) AS counted,
       (SELECT COUNT(*) FROM replicas r WHERE r.wu = w.id AND r.state IN ('error', 'expired')) AS failed
     FROM work_units w WHERE w.state <> 'staged'`,
  );
  for (const u of units) {
    const where = `wu_${u.id} (${u.state})`;
    // A known answer's replicas count towards nothing (records.ts isKnownAnswer): its `in_flight` and `issued` are
    // not kept, whatever is leased.
    if (u.state === 'probe' || u.state === 'suspect') {
      if (n(u.in_flight) !== 0 || n(u.issued) !== 0)
        problems.push(`${where}: in_flight ${u.in_flight}, issued ${u.issued}`);
      continue;
    }
    if (n(u.in_flight) !== n(u.leased)) problems.push(`${where}: in_flight ${u.in_flight}, ${u.leased} leased`);
    if (n(u.issued) !== n(u.counted) + n(u.errors))
      problems.push(
        `${where}: issued ${u.issued}, ${u.counted} replicas out or answered, ${u.errors} errors of ${u.failed} failed`,
      );
    if (n(u.errors) > n(u.failed)) problems.push(`${where}: ${u.errors} errors counted, ${u.failed} replicas failed`);
  }

  // The per-job replica tallies SQLite's triggers keep, against the replicas (Postgres counts the rows).
  const tallies = await q<{ job: string; state: string; n: number }>(
    'SELECT job, state, n FROM job_replica_states',
  ).catch(() => null);
  const tallied = new Map((tallies ?? []).filter((r) => n(r.n) !== 0).map((r) => [`${r.job} ${r.state}`, n(r.n)]));
  const counted = new Map(
    (
      await q<{ job: string; state: string; n: number }>(
        'SELECT job, state, COUNT(*) AS n FROM replicas GROUP BY job, state',
      )
    ).map((r) => [`${r.job} ${r.state}`, n(r.n)]),
  );
  for (const k of tallies ? new Set([...tallied.keys(), ...counted.keys()]) : [])
    if (tallied.get(k) !== counted.get(k))
      problems.push(`replica tally ${k}: ${tallied.get(k) ?? 0} counted, ${counted.get(k) ?? 0} rows`);

  // The log: contiguous, each body naming its own place, the stored tree the tree of the bodies, the head that tree.
  const receipts = await q<{ idx: number; volunteer: string; body: string; leaf: Uint8Array | null }>(
    'SELECT idx, volunteer, body, leaf FROM receipts ORDER BY idx',
  );
  const bodies = receipts.map((r) => JSON.parse(r.body) as ReceiptBody);
  receipts.forEach((r, i) => {
    if (n(r.idx) !== i) problems.push(`the log has a gap before index ${r.idx}`);
    const b = bodies[i];
    if (b && (b.index !== n(r.idx) || b.volunteer !== r.volunteer))
      problems.push(`receipt ${r.idx} names index ${b.index} and key ${b.volunteer}`);
  });
  const leaves = await Promise.all(receipts.map((r) => leafHash(new TextEncoder().encode(r.body))));
  const root = toHex(await rootFromLeafHashes(leaves));
  const nodes = new Map<string, Uint8Array>(
    (await q<{ level: number; idx: number; hash: Uint8Array }>('SELECT level, idx, hash FROM merkle_nodes')).map(
      (x) => [`${x.level}:${x.idx}`, new Uint8Array(x.hash)],
    ),
  );
  // The tree's level 0 is each receipt's own leaf column.
  receipts.forEach((r, i) => {
    const stored = r.leaf ? toHex(new Uint8Array(r.leaf)) : null;
    if (stored !== toHex(leaves[i] as Uint8Array))
      problems.push(`receipt ${r.idx} stores another leaf than its body's`);
    else nodes.set(`0:${i}`, leaves[i] as Uint8Array);
  });
  const tree = { getNode: (l: number, i: number) => nodes.get(`${l}:${i}`), putNode: () => undefined };
  if (receipts.length > 0 && toHex(rootAt(tree, receipts.length)) !== root)
    problems.push(`the stored tree of ${receipts.length} receipts is not their tree`);
  const [head] = await q<{ size: number; root: Uint8Array | string }>('SELECT size, root FROM log_head');
  if (head && n(head.size) !== receipts.length) problems.push(`the log head says ${head.size} of ${receipts.length}`);
  if (head && receipts.length > 0) {
    const headRoot = typeof head.root === 'string' ? head.root : toHex(new Uint8Array(head.root));
    if (headRoot !== root) problems.push(`the log head's root is not the tree of ${receipts.length} receipts`);
  }

  // Credit: each accepted replica credited once, every valid one credited, and each total the sum of its receipts.
  // Per key and unit, its first replica (attempt 0) and at most DEFAULT_RETAKE.most retakes, attempts 1, 2, ... in
  // lease order, each only once the one before came back with no answer (given back or run out) and its wait since
  // had passed (rules/assignment.ts retakeEndedBy). The state that counts for credit is the last one's.
  const leaseMs = new Map<string, number>();
  for (const j of await q<{ id: string; definition: unknown }>('SELECT id, definition FROM jobs')) {
    const def = (typeof j.definition === 'string' ? JSON.parse(j.definition) : j.definition) as {
      leaseSeconds: number;
    };
    leaseMs.set(j.id, def.leaseSeconds * 1000);
  }
  const replicas = new Map<string, string>();
  const latest = new Map<string, { attempt: number; state: string; ended: number }>();
  for (const r of await q<{
    wu: number;
    job: string;
    volunteer: string;
    state: string;
    attempt: number;
    leased_at: number;
    returned_at: number | null;
    deadline: number;
  }>('SELECT wu, job, volunteer, state, attempt, leased_at, returned_at, deadline FROM replicas ORDER BY id')) {
    const k = `${n(r.wu)} ${r.volunteer}`;
    const attempt = n(r.attempt);
    const before = latest.get(k);
    if (attempt !== (before ? before.attempt + 1 : 0))
      problems.push(`${r.volunteer}'s replica of wu_${r.wu} is attempt ${attempt} after ${before?.attempt ?? 'none'}`);
    else if (attempt > DEFAULT_RETAKE.most) problems.push(`${r.volunteer} retook wu_${r.wu} ${attempt} times`);
    else if (before && !UNANSWERED.has(before.state))
      problems.push(`${r.volunteer} retook wu_${r.wu} after a replica ${before.state}`);
    else if (
      before &&
      n(r.leased_at) < before.ended + retakeWaitPeriods(attempt, DEFAULT_RETAKE) * (leaseMs.get(r.job) ?? 0)
    )
      problems.push(`${r.volunteer} retook wu_${r.wu} (attempt ${attempt}) before its wait was over`);
    latest.set(k, { attempt, state: r.state, ended: n(r.returned_at ?? r.deadline) });
    replicas.set(k, r.state);
  }
  const credited = new Set<string>();
  const byJob = new Map<string, number>();
  for (const b of bodies) {
    if (b.type !== 'credit') continue;
    byJob.set(b.job, (byJob.get(b.job) ?? 0) + b.credit);
    const k = `${workUnitNumber(b.workUnit)} ${b.volunteer}`;
    if (credited.has(k)) problems.push(`${b.workUnit} credited to ${b.volunteer} twice`);
    credited.add(k);
    const state = replicas.get(k);
    if (!state || !ACCEPTED.has(state))
      problems.push(`${b.workUnit} credited to ${b.volunteer}, whose replica is ${state}`);
  }
  for (const [k, state] of replicas)
    if (state === 'valid' && !credited.has(k)) problems.push(`a valid replica (wu ${k}) has no receipt`);
  // A funded job's unit is debited for each replica once (steps/fund.ts): in all, the replicas its row says were
  // paid for, never more than it took; and what its job's volunteers were credited, its funder paid (credit is made
  // only on operators' jobs).
  const debited = new Map<number, number>();
  const debitedByJob = new Map<string, number>();
  for (const b of bodies)
    if (b.type === 'debit') {
      const unit = workUnitNumber(b.workUnit);
      debited.set(unit, (debited.get(unit) ?? 0) + b.replicas);
      debitedByJob.set(b.job, (debitedByJob.get(b.job) ?? 0) + b.debit);
    }
  for (const u of await q<{
    id: number;
    state: string;
    issued: number;
    in_flight: number;
    charged: number;
    funded: number;
  }>(
    `SELECT w.id, w.state, w.issued, w.in_flight, w.charged,
       (SELECT COUNT(*) FROM jobs j JOIN project_funders f ON f.project = j.project WHERE j.id = w.job) AS funded
     FROM work_units w WHERE w.state NOT IN ('probe', 'suspect')`,
  )) {
    const paid = debited.get(n(u.id)) ?? 0;
    if (paid !== n(u.charged)) problems.push(`wu_${u.id} (${u.state}): charged ${u.charged}, ${paid} debited`);
    if (paid > n(u.issued)) problems.push(`wu_${u.id} (${u.state}): ${paid} replicas debited of ${u.issued} issued`);
    // A funded unit that validated has paid for every replica it holds but those still out (a late one, a re-check).
    if (n(u.funded) > 0 && u.state === 'validated' && paid !== n(u.issued) - n(u.in_flight))
      problems.push(`wu_${u.id} (validated): ${paid} replicas debited, ${u.issued} issued, ${u.in_flight} out`);
  }
  for (const { id } of await q<{ id: string }>(
    'SELECT j.id FROM jobs j JOIN project_funders f ON f.project = j.project',
  ))
    if ((byJob.get(id) ?? 0) > (debitedByJob.get(id) ?? 0) + 1e-6)
      problems.push(`funded job ${id}: ${byJob.get(id)} credited, ${debitedByJob.get(id) ?? 0} debited`);
  const keys = await q<{
    key: string;
    credit: number;
    spent: number;
    own_credit: number;
    leased: number;
    returned: number;
    all: number;
    ended: number;
  }>(
    `SELECT v.key, v.credit, v.spent, v.own_credit, v.leased, v.returned,
       (SELECT COUNT(*) FROM replicas r WHERE r.volunteer = v.key) AS "all",
       (SELECT COUNT(*) FROM replicas r WHERE r.volunteer = v.key AND r.state <> 'leased') AS ended
     FROM volunteers v`,
  );
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
  for (const k of keys) {
    // The wallet anyone recomputes from the log is the one the coordinator keeps, and never below zero.
    const wallet = walletOf(bodies, k.key);
    if (!near(n(k.credit), wallet.earned)) problems.push(`key ${k.key}: credit ${k.credit}, its log ${wallet.earned}`);
    if (!near(n(k.spent), wallet.spent) || !near(n(k.own_credit), wallet.unspendable))
      problems.push(
        `key ${k.key}: spent ${k.spent}, own ${k.own_credit}; its log ${wallet.spent}, ${wallet.unspendable}`,
      );
    if (wallet.balance < -1e-6) problems.push(`key ${k.key}: balance ${wallet.balance}`);
    if (n(k.leased) !== n(k.all)) problems.push(`key ${k.key}: leased ${k.leased}, ${k.all} replicas`);
    if (n(k.returned) !== n(k.ended)) problems.push(`key ${k.key}: returned ${k.returned}, ${k.ended} ended`);
  }
  for (const j of await q<{ id: string; credit: number }>('SELECT id, credit FROM jobs'))
    if (!near(n(j.credit), byJob.get(j.id) ?? 0))
      problems.push(`job ${j.id}: credit ${j.credit}, its receipts ${byJob.get(j.id) ?? 0}`);

  // A validated unit: its canonical replica valid, of the unit's answer, and that answer right.
  const validated = await q<{
    id: number;
    tag: string | null;
    output_hash: string;
    rstate: string | null;
    rhash: string | null;
    output: Uint8Array | null;
  }>(
    `SELECT w.id, w.tag, w.output_hash, r.state AS rstate, r.output_hash AS rhash, r.output
     FROM work_units w LEFT JOIN replicas r ON r.id = w.canonical_replica
     WHERE w.state = 'validated'`,
  );
  for (const w of validated) {
    if (w.rstate !== 'valid' || w.rhash !== w.output_hash)
      problems.push(`wu_${w.id} validated, its canonical replica ${w.rstate} of another output`);
    else if (w.output && !correct(w.tag, new Uint8Array(w.output)))
      problems.push(`wu_${w.id} validated a wrong answer`);
  }
  return problems;
}
