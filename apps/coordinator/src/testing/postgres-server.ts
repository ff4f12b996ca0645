// A real Postgres server for tests and benchmarks: initdb in a temporary directory, `postgres` on a
// loopback port, a fresh database per test, everything removed at stop. The binaries are Debian's
// `postgresql` package (.ci/run installs it), found through $PG_BIN, the PATH or /usr/lib/postgresql/*/bin.
// Postgres refuses to run as root: as root, the server runs as the `postgres` user, in a directory of
// its own under the temporary directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** postgres://bricolage@127.0.0.1:PORT/postgres: the administrator's connection. */
  readonly adminUrl: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  dropDatabase(url: string): Promise<void>;
  stop(): Promise<void>;
}

export type PostgresStart =
  | { readonly ok: true; readonly server: PostgresServer }
  | { readonly ok: false; readonly why: string };

const USER = 'bricolage';

/** The directory holding initdb and postgres, or why there is none. */
export function findPostgresBinaries(): { ok: true; bin: string } | { ok: false; why: string } {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(dir);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian))
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a)))
      candidates.push(join(debian, version, 'bin'));
  for (const dir of candidates)
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return { ok: true, bin: dir };
  return {
    ok: false,
    why: 'no initdb and postgres found ($PG_BIN, PATH, /usr/lib/postgresql/*/bin): install postgresql',
  };
}

/** Who runs the server: ourselves, or `postgres` when we are root (which Postgres refuses to run as). */
function serverUser(): { ok: true; uid?: number; gid?: number } | { ok: false; why: string } {
  if (process.getuid?.() !== 0) return { ok: true };
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { ok: true, uid, gid };
  } catch {
    return { ok: false, why: 'running as root and there is no postgres user to run the server as' };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function run(bin: string, args: string[], user: { uid?: number; gid?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${bin} exited ${code}:\n${output}`)),
    );
  });
}

export async function startPostgres(options: { readonly startTimeoutMs?: number } = {}): Promise<PostgresStart> {
  const found = findPostgresBinaries();
  if (!found.ok) return found;
  const user = serverUser();
  if (!user.ok) return user;
  const ids = { ...(user.uid === undefined ? {} : { uid: user.uid, gid: user.gid }) };
  const dir = mkdtempSync(join(tmpdir(), 'bricolage-pg-'));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid as number);
  const data = join(dir, 'data');
  let server: ChildProcess | null = null;
  try {
    // --no-sync only for initdb's own files; the server itself runs with fsync on, as in production.
    await run(join(found.bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', USER, '-E', 'UTF8', '--no-sync'], ids);
    const port = await freePort();
    let output = '';
    server = spawn(
      join(found.bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
      { ...ids, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const child = server;
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const adminUrl = `postgres://${USER}@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      const client = new pg.Client({ connectionString: adminUrl });
      try {
        await client.connect();
        await client.end();
        break;
      } catch {
        await client.end().catch(() => undefined);
      }
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`postgres did not start (${child.exitCode ?? 'timeout'}):\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const admin = async <T>(f: (c: pg.Client) => Promise<T>): Promise<T> => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        return await f(client);
      } finally {
        await client.end();
      }
    };
    return {
      ok: true,
      server: {
        adminUrl,
        createDatabase: async () => {
          const name = `t_${randomBytes(8).toString('hex')}`;
          await admin((c) => c.query(`CREATE DATABASE ${name}`));
          return `postgres://${USER}@127.0.0.1:${port}/${name}`;
        },
        dropDatabase: async (url) => {
          const name = new URL(url).pathname.slice(1);
          if (!/^t_[0-9a-f]{16}$/.test(name)) throw new Error(`not a test database: ${name}`);
          await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        },
        stop: async () => {
          // SIGINT: fast shutdown (disconnect everyone, checkpoint, exit).
          child.kill('SIGINT');
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      },
    };
  } catch (e) {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, why: (e as Error).message };
  }
}
