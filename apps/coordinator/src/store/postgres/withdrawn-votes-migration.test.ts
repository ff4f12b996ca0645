// A Postgres database from before a re-check that takes a unit back set aside every vote of its old quorum migrates
// with those votes set aside (see the SQLite migration's test).
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestDatabase } from '../../testing/backends';
import { PgPersistence } from './pg-persistence';
import { PG_MIGRATIONS } from './schema';

const postgres = BACKENDS.find((b) => b.name === 'postgres');
const SET_ASIDE = PG_MIGRATIONS.findIndex((m) => m.includes('every vote of its old quorum'));

describe.skipIf(!postgres || postgres.unavailable !== null)('the withdrawn votes migration (postgres)', () => {
  let db: TestDatabase | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('sets aside the valid replicas of units neither validated nor known answers, and keeps the others', async () => {
    expect(SET_ASIDE).toBeGreaterThan(0);
    const open = await postgres!.open('');
    db = open;
    for (const m of PG_MIGRATIONS.slice(0, SET_ASIDE)) await open.execute(m);
    await open.execute('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    await open.execute('INSERT INTO schema_version (version) VALUES (?)', [SET_ASIDE]);
    // Taken back (then still in progress, failed, or its job cancelled); validated; a known answer, passed.
    for (const [id, state] of [
      [1, 'in_progress'],
      [2, 'failed'],
      [3, 'cancelled'],
      [4, 'validated'],
      [5, 'probe'],
      [6, 'suspect'],
    ] as const)
      await open.execute(
        "INSERT INTO work_units (id, job, state, input_hash, quorum, need) VALUES (?, 'job_a', ?, 'h', 2, 0)",
        [id, state],
      );
    for (const [wu, volunteer, state, output] of [
      [1, 'agreed', 'valid', null],
      [1, 'disputer', 'returned', '\\x01'],
      [2, 'agreed', 'valid', null],
      [3, 'agreed', 'valid', null],
      [4, 'canonical', 'valid', '\\x02'],
      [4, 'agreed', 'valid', null],
      [5, 'passed', 'valid', null],
      [6, 'passed', 'valid', null],
    ] as const)
      await open.execute(
        "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, output_hash, output) VALUES (?, 'job_a', ?, ?, 0, 0, 'o', ?)",
        [wu, volunteer, state, output],
      );

    const store = new PgPersistence({ url: open.databaseUrl as string, onError: (e) => expect.fail(e.message) });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    const rows = await open.query<{ wu: number; volunteer: string; state: string; output: Buffer | null }>(
      'SELECT wu, volunteer, state, output FROM replicas ORDER BY wu, volunteer',
    );
    expect(rows.map((r) => ({ ...r, wu: Number(r.wu), output: r.output && [...r.output] }))).toEqual([
      { wu: 1, volunteer: 'agreed', state: 'superseded', output: null },
      { wu: 1, volunteer: 'disputer', state: 'returned', output: [1] },
      { wu: 2, volunteer: 'agreed', state: 'superseded', output: null },
      { wu: 3, volunteer: 'agreed', state: 'superseded', output: null },
      { wu: 4, volunteer: 'agreed', state: 'valid', output: null },
      { wu: 4, volunteer: 'canonical', state: 'valid', output: [2] },
      { wu: 5, volunteer: 'passed', state: 'valid', output: null },
      { wu: 6, volunteer: 'passed', state: 'valid', output: null },
    ]);
  });
});
