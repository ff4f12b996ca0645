// kill -9 at random instants loses no work unit, no acknowledged result and no credit, and the log only
// grows: one coordinator over SQLite restarted after each kill, and one of three coordinators sharing a
// Postgres killed and restarted while the other two keep serving (testing/crash-run.ts). Kill points are
// drawn from a seed (CRASH_SEED) so that a failure names the run that replays it. A small run here; the
// full one (10 kills in 10,000 work units) is `npm run soak:coordinators`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from './testing/backends';
import { runCrashScenario } from './testing/crash-run';

const SEED = Number(process.env.CRASH_SEED ?? 0x5eed);

describeBackends('crash safety', (backend) => {
  let dir = '';
  let db: TestDatabase | null = null;

  afterEach(async () => {
    await db?.close();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const processes = backend.name === 'postgres' ? 3 : 1;
  it(`loses no work unit and no acknowledged result across repeated kill -9 of ${processes === 1 ? 'the coordinator' : `one of ${processes} coordinators`}`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'bricolage-crash-'));
    db = await backend.open(dir);
    const report = await runCrashScenario({
      seed: SEED,
      dataDir: dir,
      ...(db.databaseUrl ? { databaseUrl: db.databaseUrl } : {}),
      processes,
      workUnits: 2000,
      volunteers: 12,
      kills: 4,
      query: (sql, params) => (db as TestDatabase).query(sql, params),
    });
    expect(report.problems).toEqual([]);
    console.log(
      `crash safety (${backend.name}, ${processes} process${processes > 1 ? 'es' : ''}, CRASH_SEED=${SEED}): ` +
        `${report.kills.length} kills, all work units validated at ${report.finishedSeconds.toFixed(1)} s, checked by ` +
        `${report.checkedSeconds.toFixed(1)} s — ${report.kills.join('; ')}; ${report.acknowledged} acknowledged results, ` +
        `${[...report.dropped].map(([c, n]) => `${n} ${c}`).join(', ') || 'none'} dropped, ${report.expiredLeases} leases ` +
        `expired, ${report.networkErrors} requests cut off, ${report.heads} tree heads consistent`,
    );
  }, 300_000);
});
