// Where a coordinator keeps its data, and who may read it: the data directory is the server user's alone
// (0700), and the database and the key files in it are 0600.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DataDirLayout {
  readonly database: string;
  /** Held by the running coordinator; see lock.ts. */
  readonly lock: string;
  /** The coordinator's secrets, one file each (secrets.ts). */
  readonly keys: string;
  /** Researcher assets, content-addressed files (../blobs/files). */
  readonly blobs: string;
}

export const layoutOf = (dataDir: string): DataDirLayout => ({
  database: join(dataDir, 'bricolage.sqlite'),
  lock: join(dataDir, 'coordinator.lock'),
  keys: join(dataDir, 'keys'),
  blobs: join(dataDir, 'blobs'),
});

/** Creates a directory readable by its owner alone, or narrows an existing one (earlier releases made 0755). */
export function privateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/**
 * Narrows the database files to 0600. SQLite gives the -wal and -shm files it creates later the mode of the
 * database file, so once this has run they are private too.
 */
export function privateDatabase(database: string): void {
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(database + suffix)) chmodSync(database + suffix, 0o600);
}
