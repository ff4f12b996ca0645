// The backends the shared store suite runs against: SQLite in the data directory, and a fresh database on
// the run's Postgres server (postgres-setup.ts). A test reads the stored rows back through `query` and
// `dump`, in either backend's SQL: `?` placeholders become `$1…` for Postgres.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, inject } from 'vitest';

export type BackendName = 'sqlite' | 'postgres';

export interface TestDatabase {
  /** For startCoordinator/openStore: undefined for SQLite (the data directory's file). */
  readonly databaseUrl: string | undefined;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A write behind the coordinator's back, as another process would make it; returns the rows changed. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Every row of every table, rows sorted, so that two dumps compare equal when nothing was written. */
  dump(): Promise<Map<string, string[]>>;
  close(): Promise<void>;
}

export interface Backend {
  readonly name: BackendName;
  /** Why this backend cannot run here, or null. */
  readonly unavailable: string | null;
  /** A database for a coordinator whose data directory is `dataDir`. */
  open(dataDir: string): Promise<TestDatabase>;
}

const rowText = (values: unknown[]) =>
  JSON.stringify(values.map((v) => (Buffer.isBuffer(v) ? `x'${v.toString('hex')}'` : v)));

const sqlite: Backend = {
  name: 'sqlite',
  unavailable: null,
  open: async (dataDir) => {
    const path = join(dataDir, 'bricolage.sqlite');
    let db: Database.Database | null = null;
    let writer: Database.Database | null = null;
    // Opened on first use: the coordinator creates the file when it starts.
    const open = () => {
      db ??= new Database(path, { readonly: true, fileMustExist: true });
      return db;
    };
    return {
      databaseUrl: undefined,
      query: async <T>(sql: string, params: readonly unknown[] = []) =>
        open()
          .prepare(sql)
          .all(...params) as T[],
      execute: async (sql, params = []) => {
        writer ??= new Database(path, { fileMustExist: true, timeout: 5000 });
        return writer.prepare(sql).run(...params).changes;
      },
      dump: async () => {
        const d = open();
        const rows = (sql: string) => (d.prepare(sql).raw().all() as unknown[][]).map(rowText).sort();
        const dump = new Map([['sqlite_master', rows('SELECT * FROM sqlite_master')]]);
        for (const t of d
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .pluck()
          .all() as string[])
          dump.set(t, rows(`SELECT * FROM "${t.replaceAll('"', '""')}"`));
        return dump;
      },
      close: async () => {
        db?.close();
        writer?.close();
      },
    };
  },
};

const { url: adminUrl, why } = inject('postgres');

const postgres: Backend = {
  name: 'postgres',
  unavailable: adminUrl ? null : why,
  open: async () => {
    if (!adminUrl) throw new Error(why ?? 'no Postgres');
    const name = `t_${Math.random().toString(16).slice(2, 10)}${Date.now().toString(16).slice(-8)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const databaseUrl = adminUrl.replace(/\/postgres$/, `/${name}`);
    const client = new pg.Client({
      connectionString: databaseUrl,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    await client.connect();
    const run = (sql: string, params: readonly unknown[]) => {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return client.query({ text, values: params as unknown[] });
    };
    const query = async <T>(sql: string, params: readonly unknown[] = []) => (await run(sql, params)).rows as T[];
    return {
      databaseUrl,
      query,
      execute: async (sql, params = []) => (await run(sql, params)).rowCount ?? 0,
      dump: async () => {
        const dump = new Map<string, string[]>();
        const tables = await query<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        );
        for (const { name: t } of tables) {
          const result = await client.query({ text: `SELECT * FROM "${t}"`, rowMode: 'array' });
          dump.set(t, (result.rows as unknown[][]).map(rowText).sort());
        }
        return dump;
      },
      close: async () => {
        await client.end();
        const drop = new pg.Client({ connectionString: adminUrl });
        await drop.connect();
        try {
          await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await drop.end();
        }
      },
    };
  },
};

export const BACKENDS: readonly Backend[] = [sqlite, postgres];

/** The same tests once per backend, titled with its name; a backend that cannot run here is skipped. */
export function describeBackends(title: string, body: (backend: Backend) => void): void {
  for (const backend of BACKENDS)
    describe.skipIf(backend.unavailable !== null)(`${title} (${backend.name})`, () => body(backend));
}
