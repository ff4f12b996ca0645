// `tsx bench/coordinator/sqlite-floor.ts`: a floor under the coordinator's CPU per task result on this machine —
// the least SQLite work a durable, quorum-checked, logged result needs, with none of the coordinator's logic
// around it (no HTTP, no JSON, no checks, no hashing of outputs, a receipt body prepared once). Pairs of
// volunteers lease the same units (`--batch`, 200 by default) and return them, as in run.ts and store-cost.ts,
// each statement writing a whole batch (VALUES lists of up to 200 rows), as the store's do:
//   lease:  INSERT the replicas; UPDATE the units (need, in_flight, issued, state)
//   submit: SELECT the leases; UPDATE them with their outputs; on the second result of a unit, UPDATE both
//           replicas valid, UPDATE the unit validated, INSERT a receipt per replica and the Merkle nodes
//           above them, UPDATE the log head — one transaction per request, committed to the WAL.
// Run on the store's own schema (every index the coordinator's reads need) and on a minimal one (primary keys
// only): what the coordinator could reach per result by writing less, not by doing it faster. And a third model
// (`journal`), for issue 16's question whether a different storage model could meet its targets: the live state
// held in memory and each request's effect appended as one journal row (the units leased, the outputs returned,
// the receipts' places), with the receipts and the Merkle tree's hashes written as tiles of 256 once a tile is
// full (transparency-dev's tiled logs), and the log head updated per validation: rows per request, not per result.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../apps/coordinator/src/store/sqlite/schema';

const { values: args } = parseArgs({
  options: {
    results: { type: 'string', default: '40000' },
    batch: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});

const BATCH = Number(args.batch);

const MINIMAL = `
  CREATE TABLE work_units (id INTEGER PRIMARY KEY, job TEXT NOT NULL, state TEXT NOT NULL, input_hash TEXT NOT NULL,
    quorum INTEGER NOT NULL, need INTEGER NOT NULL, in_flight INTEGER NOT NULL DEFAULT 0, issued INTEGER NOT NULL DEFAULT 0,
    agree INTEGER NOT NULL DEFAULT 0, canonical_replica INTEGER, output_hash TEXT, finished_at INTEGER, result_seq INTEGER);
  CREATE TABLE replicas (id INTEGER PRIMARY KEY, wu INTEGER NOT NULL, job TEXT NOT NULL, volunteer TEXT NOT NULL,
    state TEXT NOT NULL, leased_at INTEGER NOT NULL, deadline INTEGER NOT NULL, returned_at INTEGER, output_hash TEXT,
    output BLOB, backend TEXT);
  CREATE TABLE receipts (idx INTEGER PRIMARY KEY, volunteer TEXT NOT NULL, body TEXT NOT NULL, leaf BLOB);
  CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
  CREATE TABLE log_head (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, frontier BLOB NOT NULL, root BLOB NOT NULL, at INTEGER NOT NULL);
`;

interface Floor {
  readonly schema: 'store' | 'minimal' | 'journal';
  readonly results_per_s: number;
  readonly cpu_us_per_result: number;
}

function measure(schema: Floor['schema'], results: number): Floor {
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-sqlite-floor-'));
  const db = new Database(join(dir, 'floor.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    if (schema === 'store') for (const step of MIGRATIONS) db.exec(step);
    else db.exec(MINIMAL);
    const job = 'job_floorfloorfloor0';
    const units = Math.ceil(results / 2);
    db.transaction(() => {
      if (schema === 'store') {
        db.prepare(
          "INSERT INTO projects (id, name, description, owner, token_hash, created_at) VALUES ('prj', 'p', '', 'o', 't', 0)",
        ).run();
        db.prepare(
          "INSERT INTO jobs (id, project, state, definition, created_at) VALUES (?, 'prj', 'active', '{}', 0)",
        ).run(job);
        db.prepare('INSERT INTO volunteers (key) VALUES (?), (?)').run('a'.repeat(43), 'b'.repeat(43));
      }
      const unit = db.prepare(
        "INSERT INTO work_units (job, state, input_hash, quorum, need) VALUES (?, 'unsent', ?, 2, 2)",
      );
      for (let i = 0; i < units; i++) unit.run(job, i.toString(16).padStart(64, '0'));
      db.prepare("INSERT INTO log_head (id, size, frontier, root, at) VALUES (1, 0, x'', zeroblob(32), 0)").run();
    })();

    const rows = (n: number, row: string) => Array(n).fill(row).join(', ');
    // `UPDATE t SET … = v.columnN FROM (VALUES …) AS v WHERE t.id = v.column1`; of one row, a plain UPDATE with
    // the same parameters (SQLite materialises a one-row VALUES list first, as store/sqlite/tx-results.ts says).
    const update = (table: string, set: string, width: number, n: number): { run(...params: unknown[]): unknown } => {
      if (n > 1)
        return db.prepare(
          `UPDATE ${table} SET ${set} FROM (VALUES ${rows(n, `(${Array(width).fill('?').join(', ')})`)}) AS v WHERE ${table}.id = v.column1`,
        );
      // The columns in v.column order, so that the parameters keep theirs: the id (column1) bound last.
      const one = db.prepare(`UPDATE ${table} SET ${set.replace(/v\.column\d+/g, '?')} WHERE id = ?`);
      return { run: (...params: unknown[]) => one.run(...params.slice(1), params[0]) };
    };
    const insertReplicas = db.prepare(
      `INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, backend) VALUES ${rows(BATCH, "(?, ?, ?, 'leased', ?, ?, 'wasm')")} RETURNING id`,
    );
    const leaseUnits = update(
      'work_units',
      "need = v.column2, in_flight = v.column3, issued = v.column4, state = 'in_progress'",
      4,
      BATCH,
    );
    const readLeases = db.prepare(
      `SELECT r.id, r.wu, r.volunteer, r.state, r.deadline, w.state AS unit_state, w.agree, w.in_flight
       FROM replicas r JOIN work_units w ON w.id = r.wu WHERE r.id IN (${rows(BATCH, '?')})`,
    );
    const returned = update(
      'replicas',
      "state = 'returned', returned_at = v.column2, output_hash = v.column3, output = v.column4",
      4,
      BATCH,
    );
    const valid = update('replicas', "state = 'valid'", 1, 2 * BATCH);
    const validated = update(
      'work_units',
      `state = 'validated', agree = 2, in_flight = 0, canonical_replica = v.column2, output_hash = v.column3,
         finished_at = v.column4, result_seq = v.column5`,
      5,
      BATCH,
    );
    const insertReceipts = db.prepare(
      `INSERT INTO receipts (idx, volunteer, body, leaf) VALUES ${rows(2 * BATCH, '(?, ?, ?, ?)')}`,
    );
    const insertNodes = db.prepare(
      `INSERT OR REPLACE INTO merkle_nodes (level, idx, hash) VALUES ${rows(2 * BATCH, '(?, ?, ?)')}`,
    );
    const head = db.prepare('UPDATE log_head SET size = ?, frontier = ?, root = ?, at = ? WHERE id = 1');

    // A receipt body of the coordinator's size (canonical JSON of a credit), and 32-byte hashes, made once.
    const body = JSON.stringify({
      at: Date.now(),
      credit: 1,
      index: 0,
      job,
      log: 'A'.repeat(43),
      outputHash: 'f'.repeat(64),
      project: 'prj_aaaaaaaaaaaaaaaa',
      type: 'credit',
      v: 1,
      volunteer: 'a'.repeat(43),
      workUnit: 'wu_1',
    });
    const hash = Buffer.alloc(32, 7);
    const output = Buffer.alloc(4, 1);
    const outputHash = 'e'.repeat(64);
    let size = 0;

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let first = 1; first <= units; first += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, units - first + 1) }, (_, i) => first + i);
      if (ids.length < BATCH) break;
      const leases: number[][] = [];
      for (const volunteer of ['a'.repeat(43), 'b'.repeat(43)]) {
        const now = Date.now();
        db.transaction(() => {
          leases.push(
            (
              insertReplicas.all(...ids.flatMap((wu) => [wu, job, volunteer, now, now + 600_000])) as { id: number }[]
            ).map((r) => r.id),
          );
          const second = leases.length === 2;
          leaseUnits.run(...ids.flatMap((wu) => [wu, second ? 0 : 1, second ? 2 : 1, second ? 2 : 1]));
        })();
      }
      for (const [k, mine] of leases.entries()) {
        const now = Date.now();
        db.transaction(() => {
          readLeases.all(...mine);
          returned.run(...mine.flatMap((id) => [id, now, outputHash, output]));
          if (k === 0) return;
          valid.run(...(leases[0] as number[]), ...mine);
          validated.run(...ids.flatMap((wu, i) => [wu, (leases[0] as number[])[i], outputHash, now, wu]));
          insertReceipts.run(
            ...Array.from({ length: 2 * BATCH }, (_, i) => [
              size + i,
              i % 2 ? 'b'.repeat(43) : 'a'.repeat(43),
              body,
              hash,
            ]).flat(),
          );
          // About one node above the leaves per leaf, as an append of a batch writes.
          insertNodes.run(
            ...Array.from({ length: 2 * BATCH }, (_, i) => [1 + (i % 8), (size + i) >> (1 + (i % 8)), hash]).flat(),
          );
          size += 2 * BATCH;
          head.run(size, hash, hash, now);
        })();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const done = Math.floor(units / BATCH) * BATCH * 2;
    return {
      schema,
      results_per_s: Math.round(done / seconds),
      cpu_us_per_result: Math.round(((cpu.user + cpu.system) / done) * 10) / 10,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `journal` model: one row per request, receipts and hashes as tiles of 256 (see the top of this file). */
function measureJournal(results: number): Floor {
  const TILE = 256;
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-sqlite-floor-'));
  const db = new Database(join(dir, 'floor.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE journal (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, body BLOB NOT NULL);
      CREATE TABLE receipt_tiles (tile INTEGER PRIMARY KEY, bodies BLOB NOT NULL);
      CREATE TABLE hash_tiles (level INTEGER NOT NULL, tile INTEGER NOT NULL, hashes BLOB NOT NULL,
        PRIMARY KEY (level, tile)) WITHOUT ROWID;
      CREATE TABLE log_head (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, frontier BLOB NOT NULL, root BLOB NOT NULL,
        at INTEGER NOT NULL);
      INSERT INTO log_head (id, size, frontier, root, at) VALUES (1, 0, x'', zeroblob(32), 0);`);
    const append = db.prepare('INSERT INTO journal (kind, body) VALUES (?, ?)');
    const receiptTile = db.prepare('INSERT INTO receipt_tiles (tile, bodies) VALUES (?, ?)');
    const hashTile = db.prepare('INSERT INTO hash_tiles (level, tile, hashes) VALUES (?, ?, ?)');
    const head = db.prepare('UPDATE log_head SET size = ?, frontier = ?, root = ?, at = ? WHERE id = 1');
    const units = Math.ceil(results / 2);
    const hash = Buffer.alloc(32, 7);
    // A full tile's bytes, made once: what is written is the same size as the coordinator's would be.
    const bodies = Buffer.alloc(TILE * 260, 0x61);
    const hashes = Buffer.alloc(TILE * 32, 7);
    let size = 0;

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let first = 1; first <= units; first += BATCH) {
      const n = Math.min(BATCH, units - first + 1);
      if (n < BATCH) break;
      // A lease: the key, its deadline and the unit ids; a return: the lease's first id, each output's hash and bytes.
      const leaseBody = Buffer.alloc(43 + 8 + 4 * n, 1);
      for (const _volunteer of ['a', 'b']) db.transaction(() => append.run(1, leaseBody))();
      for (const k of [0, 1]) {
        db.transaction(() => {
          append.run(2, Buffer.alloc(8 + 36 * n, 2));
          if (k === 0) return;
          const before = size;
          size += 2 * n;
          for (let tile = Math.floor(before / TILE); tile < Math.floor(size / TILE); tile++) {
            receiptTile.run(tile, bodies);
            // The tiles of the levels above are 1/256 as many: one row per 256 leaves stands for them all.
            hashTile.run(0, tile, hashes);
          }
          head.run(size, hash, hash, Date.now());
        })();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const done = Math.floor(units / BATCH) * BATCH * 2;
    return {
      schema: 'journal',
      results_per_s: Math.round(done / seconds),
      cpu_us_per_result: Math.round(((cpu.user + cpu.system) / done) * 10) / 10,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const floors = [
  ...(['store', 'minimal'] as const).map((schema) => measure(schema, Number(args.results))),
  measureJournal(Number(args.results)),
];
if (!args.json)
  for (const f of floors)
    console.log(
      `SQLite floor, ${f.schema} schema, batch ${BATCH}: ${f.results_per_s} results/s, ${f.cpu_us_per_result} µs of CPU per result`,
    );
else console.log(JSON.stringify({ batch: BATCH, results: Number(args.results), floors }));
