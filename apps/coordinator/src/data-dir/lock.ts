// One coordinator owns a data directory at a time, and only the owner may drop what a crashed run left
// half-done (staged uploads): an operator command opening the same database must never delete an upload
// in flight. The lock is SQLite's own exclusive file lock (fcntl) on DATA_DIR/coordinator.lock, held for
// the life of the connection: the kernel releases it when the process ends, even by kill -9, so it is
// never stale, and SQLite tells two connections of one process apart too.
import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';

export class DataDirectoryInUse extends Error {
  override readonly name = 'DataDirectoryInUse';
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(lockFile: string): DataDirLock {
  // No busy timeout: a held lock is an answer, not something to wait out.
  const db = new Database(lockFile, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in this locking mode it is kept until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL, since INTEGER NOT NULL)');
    db.transaction(() => {
      db.exec('DELETE FROM owner');
      db.prepare('INSERT INTO owner (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
    })();
    chmodSync(lockFile, 0o600);
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY')
      throw new DataDirectoryInUse(`another coordinator is running with this data directory (${lockFile} is locked)`);
    throw e;
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
