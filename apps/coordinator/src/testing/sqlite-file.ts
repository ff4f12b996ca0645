// A SQLite database file of its own for each test of the schema's migrations: made at an older schema, as a
// coordinator of then left it, and then opened by the store, which migrates it as a coordinator starting would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import { DEFAULT_CONFIG } from '../config';
import { stepLimits } from '../server';
import { CoordinatorStore } from '../store/coordinator-store';
import { MIGRATIONS } from '../store/sqlite/schema';
import { SqlitePersistence } from '../store/sqlite/sqlite-persistence';

export interface SqliteFile {
  readonly path: string;
  /** The file with only the first `version` migrations applied, open for the test to fill and close. */
  atVersion(version: number): Database.Database;
  /** The coordinator's store over the file, migrated to the current schema. */
  openStore(): CoordinatorStore;
}

/** Registers the hooks that make a new directory for each test's file (`bricolage-<name>-…`) and remove it. */
export function useSqliteFile(name: string): SqliteFile {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `bricolage-${name}-`));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file: SqliteFile = {
    get path() {
      return join(dir, 'bricolage.sqlite');
    },
    atVersion: (version) => {
      const db = new Database(file.path);
      for (const m of MIGRATIONS.slice(0, version)) db.exec(m);
      db.pragma(`user_version = ${version}`);
      return db;
    },
    openStore: () =>
      new CoordinatorStore(new SqlitePersistence({ path: file.path }), {
        random: Math.random,
        ...stepLimits({ ...DEFAULT_CONFIG, maxLeasesPerVolunteer: 8, inlineInputBytes: 1024 }),
        staleUploadMs: 60_000,
      }),
  };
  return file;
}
