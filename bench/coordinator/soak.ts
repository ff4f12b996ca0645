// `npm run soak:coordinators`: the crash test at full size. Three coordinator processes share a Postgres
// (started here, in a temporary directory, torn down after); 10,000 work units are uploaded and computed
// while one process at a time is killed with SIGKILL at seeded random moments, 10 times, and restarted.
// Then the stored rows are checked against what was acknowledged (testing/crash-run.ts): no work unit
// lost, no acknowledged result lost, no credit given twice, every pair of tree heads consistent.
// `--processes 1` runs the same against one SQLite coordinator instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { layoutOf } from '../../apps/coordinator/src/data-dir/layout';
import { runCrashScenario } from '../../apps/coordinator/src/testing/crash-run';
import { startPostgres } from '../../apps/coordinator/src/testing/postgres-server';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: String(0x5eed) },
    processes: { type: 'string', default: '3' },
    'work-units': { type: 'string', default: '10000' },
    kills: { type: 'string', default: '10' },
    volunteers: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const processes = Number(args.processes);
const log = (line: string) => {
  if (!args.json) console.log(line);
};

const load = loadavg()[0] as number;
const dir = mkdtempSync(join(tmpdir(), 'bricolage-soak-'));
const started = processes > 1 ? await startPostgres() : null;
if (started && !started.ok) throw new Error(`no Postgres: ${started.why}`);
const server = started?.ok ? started.server : null;
let close: () => Promise<void> = async () => undefined;
try {
  let databaseUrl: string | undefined;
  let query: <T>(sql: string, params?: readonly unknown[]) => Promise<T[]>;
  if (server) {
    databaseUrl = await server.createDatabase();
    const client = new pg.Client({
      connectionString: databaseUrl,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    await client.connect();
    close = () => client.end();
    query = async <T>(sql: string, params: readonly unknown[] = []) => {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await client.query({ text, values: params as unknown[] })).rows as T[];
    };
  } else {
    let db: Database.Database | null = null;
    close = async () => {
      db?.close();
    };
    query = async <T>(sql: string, params: readonly unknown[] = []) => {
      db ??= new Database(layoutOf(dir).database, { readonly: true });
      return db.prepare(sql).all(...(params as unknown[])) as T[];
    };
  }
  const report = await runCrashScenario({
    seed: Number(args.seed),
    dataDir: dir,
    ...(databaseUrl ? { databaseUrl } : {}),
    processes,
    workUnits: Number(args['work-units']),
    volunteers: Number(args.volunteers),
    kills: Number(args.kills),
    stallMs: 120_000,
    query,
    log,
  });
  const figures = {
    store: server ? 'postgres' : 'sqlite',
    processes,
    work_units: Number(args['work-units']),
    kills: report.kills.length,
    problems: report.problems.length,
    acknowledged: report.acknowledged,
    receipts: report.receipts,
    heads_consistent: report.heads,
    expired_leases: report.expiredLeases,
    requests_cut_off: report.networkErrors,
    finished_s: Math.round(report.finishedSeconds),
    load_at_start: Math.round(load * 100) / 100,
    seed: Number(args.seed),
  };
  for (const k of report.kills) log(`  kill ${k}`);
  for (const p of report.problems) console.error(`PROBLEM ${p}`);
  log(JSON.stringify(figures, null, 2));
  if (args.json) console.log(JSON.stringify(figures));
  if (report.problems.length > 0) process.exitCode = 1;
} finally {
  await close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
