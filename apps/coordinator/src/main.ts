// `npm start`: the grid on one machine — coordinator, volunteer page and a seeded demo project.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { VolunteerKey } from '@bricolage/protocol';
import { DEFAULT_CONFIG } from './config';
import { DataDirectoryInUse } from './data-dir/lock';
import { DataDirectoryUnusable } from './data-dir/unusable';
import { parseAddressList, parseTrustedProxies } from './http/client-address';
import { LOG_LEVELS, createLogger, isLogLevel } from './logger';
import { seedDemo } from './seed';
import { DatabaseUnavailable } from './store/postgres/pg-persistence';
import { startCoordinator } from './server';

/**
 * A setting from the environment, an empty one counting as unset (as `VAR= npm start`, or `VAR=` in an env file,
 * means): an empty HOST used to listen on every interface, an empty PORT on a random port.
 */
const env = (name: string): string | undefined => process.env[name] || undefined;

const port = Number(env('PORT') ?? 8787);
// npm runs workspace scripts from the workspace folder; relative paths are the caller's (INIT_CWD).
const dataDir = process.env.DATA_DIR
  ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.DATA_DIR)
  : resolve(import.meta.dirname, '../../../data');
const host = env('HOST') ?? '127.0.0.1';
const webDist = resolve(import.meta.dirname, '../../web/dist');
const widgetScript = resolve(import.meta.dirname, '../../../packages/widget/dist/widget.js');

const logLevel = env('LOG_LEVEL') ?? 'info';
// Postgres instead of the data directory's SQLite file: several coordinators may share it (README).
const databaseUrl = process.env.DATABASE_URL || undefined;

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(2);
}
if (!isLogLevel(logLevel)) {
  console.error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  process.exit(2);
}
if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
  console.error('DATABASE_URL must be a postgres:// URL (leave it unset for SQLite in DATA_DIR)');
  process.exit(2);
}
const reconnectGraceMs = Number(env('RECONNECT_GRACE_MS') ?? DEFAULT_CONFIG.reconnectGraceMs);
if (!Number.isSafeInteger(reconnectGraceMs) || reconnectGraceMs < 0) {
  console.error(`RECONNECT_GRACE_MS must be a whole number of milliseconds, got ${process.env.RECONNECT_GRACE_MS}`);
  process.exit(2);
}
const trustProxy = parseTrustedProxies(process.env.TRUST_PROXY ?? '');
if (!trustProxy.ok) {
  console.error(trustProxy.error.message);
  process.exit(2);
}
// Other grids' log keys whose receipts this one honours (portable credit): a mistyped key would only show later,
// as every import from that grid refused.
const honouredLogs = (process.env.HONOURED_LOGS ?? '')
  .split(',')
  .map((k) => k.trim())
  .filter((k) => k !== '');
const notKey = honouredLogs.find((k) => !VolunteerKey.safeParse(k).success);
if (notKey !== undefined) {
  console.error(
    `HONOURED_LOGS must be other coordinators' public keys (43 characters of base64url, comma separated), got ${notKey}`,
  );
  process.exit(2);
}
// Unset: loopback (DEFAULT_CONFIG). Set, it replaces the list: `loopback,10.1.0.0/16` adds, empty exempts none.
const separationExempt = process.env.SEPARATION_EXEMPT ?? DEFAULT_CONFIG.separationExempt;
const exempt = parseAddressList(separationExempt, 'SEPARATION_EXEMPT');
if (!exempt.ok) {
  console.error(exempt.error.message);
  process.exit(2);
}

const coordinator = await startCoordinator({
  dataDir,
  ...(databaseUrl ? { databaseUrl } : {}),
  port,
  host,
  ...(existsSync(webDist) ? { webRoot: webDist } : {}),
  logger: createLogger(logLevel),
  config: {
    trustProxy: process.env.TRUST_PROXY ?? '',
    separationExempt,
    reconnectGraceMs,
    // PEERS=0: volunteers work alone (no /signal, no rooms). (One config object: a second `config` key
    // used to replace this one and PEERS=0 was ignored.)
    ...(process.env.PEERS === '0' ? { peers: false } : {}),
    honouredLogs,
  },
  ...(existsSync(widgetScript) ? { widgetScript } : {}),
}).catch((e: Error) => {
  // A second coordinator on the same data directory is an operator's mistake, not a crash: say so plainly.
  if (e instanceof DataDirectoryInUse) {
    console.error(`${e.message}; stop it first, or give this one another DATA_DIR`);
    process.exit(1);
  }
  // A file of the data directory it cannot use (a truncated key, a database that is not SQLite): which, and why.
  if (e instanceof DataDirectoryUnusable) {
    console.error(`cannot start on the data directory ${dataDir}: ${e.message}`);
    process.exit(1);
  }
  // DATABASE_URL names a database this process cannot use: which, and why, in one line (README, On Postgres).
  if (e instanceof DatabaseUnavailable) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
});
// SEED_DEMO=0 starts an empty grid (tests, benchmarks, operators who bring their own projects).
const seeded = process.env.SEED_DEMO === '0' ? { seeded: false } : await seedDemo(coordinator);
const shown = host === '127.0.0.1' ? `http://localhost:${coordinator.port}` : coordinator.url;
console.log(`Bricolage coordinator listening on ${shown}`);
console.log(`  data:        ${dataDir}${'job' in seeded ? ` (seeded the demo project, job ${seeded.job})` : ''}`);
if (databaseUrl) console.log(`  database:    ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname} (Postgres)`);
console.log(`  public key:  ${coordinator.publicKey}`);
if (honouredLogs.length > 0) console.log(`  honours:     receipts of the logs ${honouredLogs.join(', ')}`);
if (coordinator.operator.created) {
  // Shown this once; `npm run coordinator -- operator-token` reads it from the data directory again.
  console.log(`  operator:    ${coordinator.operator.token}`);
  console.log(`               (new: kept in ${coordinator.operator.path}, mode 0600; it creates projects)`);
}
console.log(`  api:         ${shown}/api/openapi.json`);
if (!existsSync(webDist)) console.log('  volunteer page not built (apps/web/dist missing)');
if (existsSync(widgetScript)) console.log(`  widget:      ${shown}/widget.js (integrity in ${shown}/widget.json)`);
else console.log('  widget not built (packages/widget/dist/widget.js missing)');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    coordinator.close().then(
      () => process.exit(0),
      (e: Error) => {
        console.error(`shutdown failed: ${e.message}`);
        process.exit(1);
      },
    );
  });
}
