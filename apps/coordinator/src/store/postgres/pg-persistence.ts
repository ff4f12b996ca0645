// The backend for a grid that outgrows one machine: Postgres through `pg`, shared by any number of
// coordinator processes (DATABASE_URL). Each transaction runs on a pooled connection; a deadlock Postgres
// breaks between two coordinators' transactions is retried. One process at a time leads the sweep (a
// session advisory lock on a connection of its own: when that process dies, Postgres drops the lock and
// the next to ask takes over). Messages between the processes go through LISTEN/NOTIFY (pg-broadcast.ts).
import pg from 'pg';
import type { Broadcast } from '../../broadcast/broadcast';
import type { Persistence, Tx } from '../persistence';
import { PgBroadcast } from './pg-broadcast';
import { pgTx } from './pg-tx';
import { PG_MIGRATIONS } from './schema';

export interface PgPersistenceOptions {
  /** postgres://user@host:port/database */
  readonly url: string;
  readonly onError: (e: Error) => void;
  /** Connections per process. */
  readonly poolSize?: number;
}

/** Advisory lock keys, one per task (any 64-bit number; these spell "bricolage" roughly). */
const LOCKS = { migrate: 0x6272_6963_0001, sweep: 0x6272_6963_0002 } as const;
/** deadlock_detected, serialization_failure: the transaction lost a race with another coordinator's. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 8;

/** BIGINT columns as numbers: every id, count and time here is far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * The database DATABASE_URL names cannot be used: the server does not answer, the role or the database does not
 * exist, or the role may not create the tables. Its message names the database (never the password) and why.
 */
export class DatabaseUnavailable extends Error {
  override readonly name = 'DatabaseUnavailable';
}

/** What an operator can do about the errors a first setup meets most (README, On Postgres). */
const HINTS: Record<string, string> = {
  // insufficient_privilege: on Postgres 15+ only the database's owner may create tables in its schema public.
  '42501': 'the role must own the database: createdb --owner=ROLE DATABASE',
  ECONNREFUSED: 'is the server running, and listening there?',
};

function unavailable(url: string, e: unknown): DatabaseUnavailable {
  const where = (() => {
    try {
      const u = new URL(url);
      return `${u.host}${u.pathname}`;
    } catch {
      return 'DATABASE_URL';
    }
  })();
  const { message, code } = e as { message?: string; code?: unknown };
  // A refused connection to a name with several addresses is an AggregateError with no message, only a code.
  const why = message || (typeof code === 'string' ? code : String(e));
  const hint = typeof code === 'string' ? HINTS[code] : undefined;
  const codeText = typeof code === 'string' && !why.includes(code) ? ` (${code})` : '';
  return new DatabaseUnavailable(
    `cannot use the Postgres database at ${where}: ${why}${codeText}${hint ? `; ${hint}` : ''}`,
    { cause: e },
  );
}

/**
 * `error` as a DatabaseUnavailable naming the database when Postgres raised it (a role that may read but not write
 * the tables meets it after the migration, at the first write); else `error` as it is.
 */
export function asUnavailable(url: string, error: unknown): unknown {
  return error instanceof pg.DatabaseError ? unavailable(url, error) : error;
}

export async function openPostgres(options: PgPersistenceOptions): Promise<PgPersistence> {
  const persistence = new PgPersistence(options);
  try {
    await persistence.migrate();
    await persistence.start();
  } catch (e) {
    await persistence.close().catch(() => undefined);
    throw unavailable(options.url, e);
  }
  return persistence;
}

export class PgPersistence implements Persistence {
  readonly backend = 'postgres';
  readonly broadcast: Broadcast;
  readonly #pool: pg.Pool;
  readonly #options: PgPersistenceOptions;
  #leader: pg.Client | null = null;
  #closed = false;

  constructor(options: PgPersistenceOptions) {
    this.#options = options;
    this.#pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types });
    // An idle pooled connection that breaks is dropped by the pool; say so, never crash on it.
    this.#pool.on('error', (e) => options.onError(e));
    this.broadcast = new PgBroadcast(this.#pool, () => this.#client(), options.onError);
  }

  #client(): pg.Client {
    return new pg.Client({ connectionString: this.#options.url, types });
  }

  async migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [LOCKS.migrate]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
        const row = (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows[0];
        for (let v = row?.version ?? 0; v < PG_MIGRATIONS.length; v++) {
          await client.query('BEGIN');
          await client.query(PG_MIGRATIONS[v] as string);
          await client.query('DELETE FROM schema_version');
          await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v + 1]);
          await client.query('COMMIT');
        }
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrate]);
      }
    } finally {
      client.release();
    }
  }

  async start(): Promise<void> {
    await (this.broadcast as PgBroadcast).start();
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('the store is closed');
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const value = await work(pgTx(client));
        await client.query('COMMIT');
        return value;
      } catch (e) {
        await client.query('ROLLBACK').catch((r: Error) => {
          broken = r;
        });
        const code = (e as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  async lead(task: 'sweep'): Promise<boolean> {
    if (this.#leader) return true;
    if (this.#closed) return false;
    const client = this.#client();
    client.on('error', (e) => {
      // Its connection is gone, and the lock with it: another coordinator will take over.
      if (this.#leader === client) this.#leader = null;
      this.#options.onError(e);
    });
    try {
      await client.connect();
      const row = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCKS[task]])).rows[0];
      if (row?.ok && !this.#closed) {
        this.#leader = client;
        return true;
      }
    } catch (e) {
      this.#options.onError(e as Error);
    }
    await client.end().catch(() => undefined);
    return false;
  }

  async deleteMeta(key: string): Promise<void> {
    await this.#pool.query('DELETE FROM meta WHERE key = $1', [key]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.broadcast.close();
    const leader = this.#leader;
    this.#leader = null;
    await leader?.end().catch(() => undefined);
    await this.#pool.end();
  }
}
