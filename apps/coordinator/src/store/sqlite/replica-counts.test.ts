// The per-job replica counters that triggers keep (schema.ts): a data directory from before them gets them
// from its replicas, and afterwards they agree with a recount of the replicas table.
import type { JobId } from '@bricolage/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useSqliteFile } from '../../testing/sqlite-file';
import { MIGRATIONS } from './schema';

const COUNTERS = MIGRATIONS.findIndex((m) => m.includes('job_replica_states'));

describe('replica counters', () => {
  const file = useSqliteFile('counters');

  it('are filled from the replicas of a database made before them', async () => {
    const db = file.atVersion(COUNTERS);
    const wu = db.prepare("INSERT INTO work_units (job, state, input_hash, quorum, need) VALUES (?, ?, 'x', 2, 0)");
    const replica = db.prepare(
      `INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline, error_code, error_message)
       VALUES (?, ?, ?, ?, 0, 0, ?, ?)`,
    );
    // Validated (under re-check: a replica still out), so that its valid replica is one its quorum counts (a later
    // migration sets aside those of units taken back from the results).
    const a = Number(wu.run('job_a', 'validated').lastInsertRowid);
    const b = Number(wu.run('job_b', 'in_progress').lastInsertRowid);
    replica.run(a, 'job_a', 'v1', 'leased', null, null);
    replica.run(a, 'job_a', 'v2', 'valid', null, null);
    replica.run(b, 'job_a', 'v1', 'error', 'compile_failed', 'line 3: expected ;');
    replica.run(b, 'job_a', 'v3', 'expired', null, null);
    replica.run(b, 'job_a', 'v4', 'expired', null, null);
    replica.run(b, 'job_b', 'v5', 'invalid', null, null);
    db.close();

    const store = file.openStore();
    try {
      expect(await store.activity('job_a' as JobId, 10)).toEqual({
        activeVolunteers: 1,
        issued: 5,
        valid: 1,
        invalid: 0,
        errors: 3,
        givenBack: 0,
        withdrawn: 0,
        errorCodes: [
          { code: 'lease_expired', count: 2, workUnit: b, message: 'no result arrived before the lease ran out' },
          { code: 'compile_failed', count: 1, workUnit: b, message: 'line 3: expected ;' },
        ],
      });
      expect(await store.activity('job_b' as JobId, 10)).toMatchObject({ issued: 1, invalid: 1, errors: 0 });
    } finally {
      await store.close();
    }
  });

  it('follow every change of a replica state, in the same transaction', async () => {
    const store = file.openStore();
    await store.close();
    const db = new Database(file.path);
    const wu = Number(
      db
        .prepare("INSERT INTO work_units (job, state, input_hash, quorum, need) VALUES ('job_a', 'unsent', 'x', 2, 2)")
        .run().lastInsertRowid,
    );
    const insert = db.prepare(
      "INSERT INTO replicas (wu, job, volunteer, state, leased_at, deadline) VALUES (?, 'job_a', ?, 'leased', 0, 0)",
    );
    const ids = ['v1', 'v2', 'v3', 'v4'].map((v) => Number(insert.run(wu, v).lastInsertRowid));
    const set = db.prepare('UPDATE replicas SET state = ?, error_code = ? WHERE id = ?');
    set.run('returned', null, ids[0]);
    set.run('valid', null, ids[0]);
    set.run('error', 'timeout', ids[1]);
    set.run('expired', null, ids[2]);
    // A rolled-back change leaves the counters as they were.
    expect(() =>
      db.transaction(() => {
        set.run('invalid', null, ids[3]);
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    const counted = db
      .prepare('SELECT state, n FROM job_replica_states WHERE job = ? AND n > 0 ORDER BY state')
      .all('job_a');
    const recounted = db
      .prepare('SELECT state, COUNT(*) AS n FROM replicas WHERE job = ? GROUP BY state ORDER BY state')
      .all('job_a');
    expect(counted).toEqual(recounted);
    expect(recounted).toEqual([
      { state: 'error', n: 1 },
      { state: 'expired', n: 1 },
      { state: 'leased', n: 1 },
      { state: 'valid', n: 1 },
    ]);
    expect(db.prepare('SELECT code, n FROM job_failures ORDER BY code').all()).toEqual([
      { code: 'lease_expired', n: 1 },
      { code: 'timeout', n: 1 },
    ]);
    db.close();
  });
});
