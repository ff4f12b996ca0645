// A data directory from before each unit kept the replicas its funder paid for opens with them read from the log,
// so that a unit paid for as it validated, then disputed and validated anew, is not debited twice for its first
// replicas (steps/fund.ts payFor).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';
import { SqlitePersistence } from './sqlite-persistence';
import { SqliteStatements } from './statements';
import { projectRows } from './tx-projects';

const CHARGED = MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN charged'));

/** A log entry's body as the coordinator writes it (canonical JSON: keys in order, no spaces). */
const body = (entry: Record<string, unknown>) =>
  JSON.stringify(Object.fromEntries(Object.entries({ v: 1, log: 'k', ...entry }).sort(([a], [b]) => (a < b ? -1 : 1))));

describe('the charged migration', () => {
  const file = useSqliteFile('charged');

  it("sets each unit's charged to the replicas its debit entries name, and leaves the others at 0", async () => {
    expect(CHARGED).toBeGreaterThan(0);
    const db = file.atVersion(CHARGED);
    const unit = db.prepare(
      "INSERT INTO work_units (id, job, state, input_hash, quorum, need, issued) VALUES (?, 'job_a', ?, 'h', 2, 0, ?)",
    );
    unit.run(1, 'validated', 3);
    unit.run(2, 'in_progress', 3);
    unit.run(3, 'validated', 2);
    const receipt = db.prepare('INSERT INTO receipts (idx, volunteer, body) VALUES (?, ?, ?)');
    const common = { job: 'job_a', project: 'p', at: 5 };
    receipt.run(
      0,
      'funder',
      body({ ...common, index: 0, type: 'debit', volunteer: 'funder', workUnit: 'wu_1', replicas: 3, debit: 30 }),
    );
    // Taken back by a dispute after it was paid for: its two first replicas stay paid for.
    receipt.run(
      1,
      'funder',
      body({ ...common, index: 1, type: 'debit', volunteer: 'funder', workUnit: 'wu_2', replicas: 2, debit: 20 }),
    );
    // A credit names its unit too, and an export none: neither is a debit.
    receipt.run(2, 'x', body({ ...common, index: 2, type: 'credit', volunteer: 'x', workUnit: 'wu_3', credit: 10 }));
    receipt.run(3, 'funder', body({ index: 3, type: 'export', volunteer: 'funder', to: 'y', debit: 5, at: 6 }));
    // The log's tree is no part of this: its head is there, so that opening the file reads no tree.
    db.prepare("INSERT INTO log_head (id, size, frontier, root, at) VALUES (1, 4, x'', x'', 6)").run();
    db.close();

    await new SqlitePersistence({ path: file.path }).close();
    const migrated = new Database(file.path, { readonly: true });
    try {
      expect(migrated.prepare('SELECT id, charged FROM work_units ORDER BY id').all()).toEqual([
        { id: 1, charged: 3 },
        { id: 2, charged: 2 },
        { id: 3, charged: 0 },
      ]);
    } finally {
      migrated.close();
    }
  });

  it('counts a unit debited in full twice before (charged past what it holds) as owing nothing, hiding no other', async () => {
    const db = file.atVersion(CHARGED);
    const unit = db.prepare(
      "INSERT INTO work_units (id, job, state, input_hash, quorum, need, issued, in_flight) VALUES (?, 'job_a', ?, 'h', 2, 0, ?, ?)",
    );
    // Debited 2 as it validated, disputed, then 4 as it validated anew (the old rule); another unit, 2 replicas out.
    unit.run(1, 'validated', 4, 0);
    unit.run(2, 'in_progress', 2, 2);
    const receipt = db.prepare('INSERT INTO receipts (idx, volunteer, body) VALUES (?, ?, ?)');
    const debit = { job: 'job_a', project: 'p', at: 5, type: 'debit', volunteer: 'f', workUnit: 'wu_1' };
    receipt.run(0, 'f', body({ ...debit, index: 0, replicas: 2, debit: 20 }));
    receipt.run(1, 'f', body({ ...debit, index: 1, replicas: 4, debit: 40 }));
    db.prepare("INSERT INTO log_head (id, size, frontier, root, at) VALUES (1, 2, x'', x'', 6)").run();
    db.close();
    await new SqlitePersistence({ path: file.path }).close();

    const migrated = new Database(file.path);
    try {
      // A re-check disputes wu_1 once more: in progress again, 5 issued, 6 paid for.
      migrated.prepare("UPDATE work_units SET state = 'in_progress', issued = 5, agree = 1 WHERE id = 1").run();
      expect(await projectRows(new SqliteStatements(migrated)).unpaidReplicas(['job_a' as never])).toBe(2);
    } finally {
      migrated.close();
    }
  });
});
