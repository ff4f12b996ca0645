// A Postgres database from before each unit kept the replicas its funder paid for migrates with them read from the
// log (see the SQLite migration's test).
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestDatabase } from '../../testing/backends';
import { PgPersistence } from './pg-persistence';
import { PG_MIGRATIONS } from './schema';

const postgres = BACKENDS.find((b) => b.name === 'postgres');
const CHARGED = PG_MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN charged'));

/** A log entry's body as the coordinator writes it (canonical JSON: keys in order, no spaces). */
const body = (entry: Record<string, unknown>) =>
  JSON.stringify(Object.fromEntries(Object.entries({ v: 1, log: 'k', ...entry }).sort(([a], [b]) => (a < b ? -1 : 1))));

describe.skipIf(!postgres || postgres.unavailable !== null)('the charged migration (postgres)', () => {
  let db: TestDatabase | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it("sets each unit's charged to the replicas its debit entries name, and leaves the others at 0", async () => {
    expect(CHARGED).toBeGreaterThan(0);
    const open = await postgres!.open('');
    db = open;
    for (const m of PG_MIGRATIONS.slice(0, CHARGED)) await open.execute(m);
    await open.execute('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    await open.execute('INSERT INTO schema_version (version) VALUES (?)', [CHARGED]);
    for (const [id, state] of [
      [1, 'validated'],
      [2, 'in_progress'],
      [3, 'validated'],
    ] as const)
      await open.execute(
        "INSERT INTO work_units (id, job, state, input_hash, quorum, need, issued) VALUES (?, 'job_a', ?, 'h', 2, 0, 3)",
        [id, state],
      );
    const common = { job: 'job_a', project: 'p', at: 5 };
    const entries = [
      { ...common, type: 'debit', volunteer: 'funder', workUnit: 'wu_1', replicas: 3, debit: 30 },
      // Taken back by a dispute after it was paid for: its two first replicas stay paid for.
      { ...common, type: 'debit', volunteer: 'funder', workUnit: 'wu_2', replicas: 2, debit: 20 },
      // A credit names its unit too, and an export none: neither is a debit.
      { ...common, type: 'credit', volunteer: 'x', workUnit: 'wu_3', credit: 10 },
      { type: 'export', volunteer: 'funder', to: 'y', debit: 5, at: 6 },
    ];
    for (const [index, entry] of entries.entries())
      await open.execute("INSERT INTO receipts (idx, volunteer, body, leaf) VALUES (?, ?, ?, '\\x00')", [
        index,
        entry.volunteer,
        body({ ...entry, index }),
      ]);

    const store = new PgPersistence({ url: open.databaseUrl as string, onError: (e) => expect.fail(e.message) });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    expect(await open.query('SELECT id, charged FROM work_units ORDER BY id')).toEqual([
      { id: 1, charged: 3 },
      { id: 2, charged: 2 },
      { id: 3, charged: 0 },
    ]);
  });
});
