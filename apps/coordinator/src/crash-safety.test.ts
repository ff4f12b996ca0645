// kill -9 at random instants loses no work unit, no acknowledged result and no credit, and the log only
// grows: one coordinator over SQLite restarted after each kill, and one of three coordinators sharing a
// Postgres killed and restarted while the other two keep serving (testing/crash-run.ts). Kill points are
// drawn from a seed (CRASH_SEED) so that a failure names the run that replays it. A small run here; the
// full one (10 kills in 10,000 work units) is `npm run soak:coordinators`.
import { expect, it } from 'vitest';
import { describeBackends } from './testing/backends';
import { runCrashScenario } from './testing/crash-run';
import { useGrid } from './testing/grid-fixture';

const SEED = Number(process.env.CRASH_SEED ?? 0x5eed);

describeBackends('crash safety', (backend) => {
  // The coordinators are child processes that the scenario starts, kills and restarts: the grid gives it the
  // data directory and the database.
  const grid = useGrid(backend, { name: 'crash' });

  const processes = backend.name === 'postgres' ? 3 : 1;
  it(`loses no work unit and no acknowledged result across repeated kill -9 of ${processes === 1 ? 'the coordinator' : `one of ${processes} coordinators`}`, async () => {
    const { dir, db } = grid;
    const report = await runCrashScenario({
      seed: SEED,
      dataDir: dir,
      ...(db.databaseUrl ? { databaseUrl: db.databaseUrl } : {}),
      processes,
      workUnits: 2000,
      volunteers: 12,
      kills: 4,
      query: (sql, params) => db.query(sql, params),
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
