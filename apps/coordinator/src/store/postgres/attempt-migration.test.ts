// A Postgres database from when a key could retake a unit once (a boolean `retake`) migrates with every replica
// kept, ids and all, each retake its key's attempt 1 and every other replica attempt 0, the UNIQUE (wu, volunteer,
// retake) become (wu, volunteer, attempt), and the retakeable index rebuilt over every unanswered replica.
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestDatabase } from '../../testing/backends';
import { PgPersistence } from './pg-persistence';
import { PG_MIGRATIONS } from './schema';

const postgres = BACKENDS.find((b) => b.name === 'postgres');
const ATTEMPT = PG_MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN attempt'));

describe.skipIf(!postgres || postgres.unavailable !== null)('the attempt migration (postgres)', () => {
  let db: TestDatabase | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('makes each retake attempt 1, keeps every replica and its id, and holds one replica per key, unit and attempt', async () => {
    const open = await postgres!.open('');
    db = open;
    // The schema as a coordinator of the boolean rule left it.
    for (const m of PG_MIGRATIONS.slice(0, ATTEMPT)) await open.execute(m);
    await open.execute('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    await open.execute('INSERT INTO schema_version (version) VALUES (?)', [ATTEMPT]);
    await open.execute(
      "INSERT INTO work_units (id, job, state, input_hash, quorum, need) VALUES (1, 'job_a', 'in_progress', 'h', 2, 1)",
    );
    const replica = (id: number, volunteer: string, state: string, retake: boolean) =>
      open.execute(
        "INSERT INTO replicas (id, wu, job, volunteer, state, leased_at, deadline, retake) VALUES (?, 1, 'job_a', ?, ?, 5, 9, ?)",
        [id, volunteer, state, retake],
      );
    await replica(7, 'lost-twice', 'released', false);
    await replica(9, 'lost-twice', 'expired', true);
    await replica(12, 'answered', 'returned', false);

    const store = new PgPersistence({ url: open.databaseUrl as string, onError: (e) => expect.fail(e.message) });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    expect(await open.query('SELECT id, volunteer, state, attempt FROM replicas ORDER BY id')).toEqual([
      { id: 7, volunteer: 'lost-twice', state: 'released', attempt: 0 },
      { id: 9, volunteer: 'lost-twice', state: 'expired', attempt: 1 },
      { id: 12, volunteer: 'answered', state: 'returned', attempt: 0 },
    ]);
    const insert = (volunteer: string, attempt: number) =>
      open.execute(
        "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, attempt) VALUES (1, 'job_a', ?, 'leased', 10, 20, ?)",
        [volunteer, attempt],
      );
    // A second retake, which the boolean could not hold; a second of one attempt the schema refuses.
    expect(await insert('lost-twice', 2)).toBe(1);
    await expect(insert('lost-twice', 2)).rejects.toThrow(/replicas_wu_volunteer_attempt_key/);
    await expect(insert('answered', 0)).rejects.toThrow(/replicas_wu_volunteer_attempt_key/);
    await expect(insert('answered', -1)).rejects.toThrow(/check constraint/);
    expect(
      await open.query(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'replicas' AND indexname = 'replicas_retakeable'",
      ),
    ).toEqual([
      {
        indexdef: expect.stringMatching(
          /\(volunteer, job, wu\) WHERE \(state = ANY \(ARRAY\['released'::text, 'expired'::text\]\)\)$/,
        ),
      },
    ]);
    expect(
      await open.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'replicas' AND column_name = 'retake'",
      ),
    ).toEqual([]);
  });
});
